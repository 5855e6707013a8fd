// Provider presets: for each row of the specification's provider table, the option values that
// make tether speak to that provider. Data, not code: applying one is setting options, and an
// option the application sets itself always wins over the preset (see set_option).
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace tether::config {

struct Preset {
    std::string_view name;   // the value of the provider option ("socketio")
    std::string_view title;  // the provider as the spec's table names it ("Socket.IO")
    std::vector<std::pair<std::string_view, std::string_view>> values;  // option key -> text form
};

// Every preset, in the spec's table order; "none" (no preset) is not among them.
const std::vector<Preset> &presets();
const Preset *find_preset(std::string_view name);

}  // namespace tether::config
