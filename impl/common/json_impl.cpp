// The one translation unit that compiles Boost.JSON's implementation (header-only mode).
// No other file may include <boost/json/src.hpp>.
#include <boost/json/src.hpp>
