// Stop strings over streamed text.
//
// Text arrives in pieces (complete UTF-8). A piece is released only when no stop string can start inside it:
// the longest tail that is a prefix of some stop string is held back until the next piece resolves it. When a
// stop string appears, everything before it is released and the filter is done (the stop string itself never
// is).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trit {

class StopFilter {
  public:
    explicit StopFilter(std::vector<std::string> stops);

    // Adds text; returns what may be emitted now. After a stop string is found, stopped() is true and later
    // pushes return nothing.
    std::string push(std::string_view text);
    // Releases the held-back tail (generation ended for another reason).
    std::string flush();
    bool stopped() const { return stopped_; }

  private:
    std::vector<std::string> stops_;
    std::string held_;
    bool stopped_ = false;
};

}  // namespace trit
