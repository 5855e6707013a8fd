// The one place that compiles Boost.JSON's implementation for tether-test-server.
#include <boost/json/src.hpp>
