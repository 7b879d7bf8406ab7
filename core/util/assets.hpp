// The sample images shipped in assets/images, found the same way by the explorer and the CLI.
#pragma once
#include <string>

namespace qviz::core {

// assets/images/NAME from the source tree, else ./assets/images, else /usr/share/qviz/images;
// the relative path assets/images/NAME when none of them has it (the caller's open then fails
// with a message naming it).
std::string assetImagePath(const std::string& name);

}  // namespace qviz::core
