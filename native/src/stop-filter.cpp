#include "stop-filter.h"

#include <algorithm>

namespace trit {

StopFilter::StopFilter(std::vector<std::string> stops) {
    for (std::string& s : stops) {
        if (!s.empty()) stops_.push_back(std::move(s));
    }
}

std::string StopFilter::push(std::string_view text) {
    if (stopped_) return std::string();
    held_.append(text);
    // Invariant: no stop string starts inside text already released, so a match can only start in held_.
    size_t first = std::string::npos;
    for (const std::string& s : stops_) first = std::min(first, held_.find(s));
    if (first != std::string::npos) {
        std::string out = held_.substr(0, first);
        held_.clear();
        stopped_ = true;
        return out;
    }
    // Hold back the longest tail of held_ that is a proper prefix of some stop string.
    size_t keep = 0;
    for (const std::string& s : stops_) {
        const size_t max_len = std::min(s.size() - 1, held_.size());
        for (size_t len = max_len; len > keep; --len) {
            if (held_.compare(held_.size() - len, len, s, 0, len) == 0) {
                keep = len;
                break;
            }
        }
    }
    std::string out = held_.substr(0, held_.size() - keep);
    held_.erase(0, held_.size() - keep);
    return out;
}

std::string StopFilter::flush() {
    std::string out;
    out.swap(held_);
    return out;
}

}  // namespace trit
