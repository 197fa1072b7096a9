// Utf8Stream (declared in vocab.h): turns token bytes into complete UTF-8 pieces for streaming generated
// text.
#include "unicode.h"
#include "vocab.h"

namespace trit {

std::string Utf8Stream::push(std::string_view bytes) {
    pending_.append(bytes.data(), bytes.size());
    std::string out;
    const auto* p = reinterpret_cast<const uint8_t*>(pending_.data());
    size_t i = 0;
    while (i < pending_.size()) {
        uint32_t cpt = 0;
        const int r = utf8_decode_one(p + i, pending_.size() - i, cpt);
        if (r > 0) {
            out.append(pending_, i, static_cast<size_t>(r));
            i += static_cast<size_t>(r);
        } else if (r == 0) {
            break;  // an incomplete sequence at the end: wait for its continuation bytes
        } else {
            utf8_append(out, k_replacement_cpt);
            i += static_cast<size_t>(-r);
        }
    }
    pending_.erase(0, i);
    return out;
}

std::string Utf8Stream::flush() {
    std::string out;
    if (!pending_.empty()) utf8_append(out, k_replacement_cpt);  // one incomplete sequence
    pending_.clear();
    return out;
}

}  // namespace trit
