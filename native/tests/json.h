// A small JSON reader for test data (manifest.json and golden metadata). Not for untrusted input at scale: it
// recurses on nesting and keeps numbers as double.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace testjson {

struct Value {
    enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
    bool b = false;
    double num = 0;
    std::string str;
    std::vector<Value> arr;
    std::map<std::string, Value> obj;

    const Value& operator[](const std::string& key) const {
        auto it = obj.find(key);
        if (kind != Kind::object || it == obj.end())
            throw std::runtime_error("json: missing key '" + key + "'");
        return it->second;
    }
    const Value& operator[](size_t i) const {
        if (kind != Kind::array || i >= arr.size()) throw std::runtime_error("json: index out of range");
        return arr[i];
    }
    bool has(const std::string& key) const { return kind == Kind::object && obj.count(key) != 0; }
    size_t size() const { return kind == Kind::array ? arr.size() : obj.size(); }
    std::vector<int32_t> ints() const {
        std::vector<int32_t> v;
        for (const Value& e : arr) v.push_back(static_cast<int32_t>(e.num));
        return v;
    }
    std::vector<double> numbers() const {
        std::vector<double> v;
        for (const Value& e : arr) v.push_back(e.num);
        return v;
    }
};

class Parser {
  public:
    explicit Parser(const std::string& text) : s_(text) {}

    Value parse() {
        Value v = value();
        ws();
        if (i_ != s_.size()) error("trailing characters");
        return v;
    }

  private:
    [[noreturn]] void error(const char* what) {
        throw std::runtime_error(std::string("json: ") + what + " at offset " + std::to_string(i_));
    }
    void ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
    }
    bool eat(char c) {
        ws();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!eat(c)) error("unexpected character");
    }
    Value value() {
        ws();
        if (i_ >= s_.size()) error("unexpected end");
        Value v;
        const char c = s_[i_];
        if (c == '{') {
            ++i_;
            v.kind = Value::Kind::object;
            if (eat('}')) return v;
            do {
                ws();
                std::string key = string();
                expect(':');
                v.obj[key] = value();
            } while (eat(','));
            expect('}');
        } else if (c == '[') {
            ++i_;
            v.kind = Value::Kind::array;
            if (eat(']')) return v;
            do v.arr.push_back(value());
            while (eat(','));
            expect(']');
        } else if (c == '"') {
            v.kind = Value::Kind::string;
            v.str = string();
        } else if (s_.compare(i_, 4, "true") == 0) {
            v.kind = Value::Kind::boolean;
            v.b = true;
            i_ += 4;
        } else if (s_.compare(i_, 5, "false") == 0) {
            v.kind = Value::Kind::boolean;
            i_ += 5;
        } else if (s_.compare(i_, 4, "null") == 0) {
            i_ += 4;
        } else {
            v.kind = Value::Kind::number;
            const char* begin = s_.c_str() + i_;
            char* end = nullptr;
            v.num = std::strtod(begin, &end);
            if (end == begin) error("bad value");
            i_ += static_cast<size_t>(end - begin);
        }
        return v;
    }
    std::string string() {
        if (i_ >= s_.size() || s_[i_] != '"') error("expected a string");
        ++i_;
        std::string out;
        while (i_ < s_.size() && s_[i_] != '"') {
            char c = s_[i_++];
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i_ >= s_.size()) error("bad escape");
            c = s_[i_++];
            switch (c) {
                case 'n':
                    out += '\n';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'u': {
                    if (i_ + 4 > s_.size()) error("bad \\u escape");
                    unsigned cp = static_cast<unsigned>(std::stoul(s_.substr(i_, 4), nullptr, 16));
                    i_ += 4;
                    if (cp >= 0xd800 && cp < 0xdc00 && s_.compare(i_, 2, "\\u") == 0) {
                        const unsigned lo =
                            static_cast<unsigned>(std::stoul(s_.substr(i_ + 2, 4), nullptr, 16));
                        i_ += 6;
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    }
                    if (cp < 0x80) {
                        out += static_cast<char>(cp);
                    } else if (cp < 0x800) {
                        out += static_cast<char>(0xc0 | (cp >> 6));
                        out += static_cast<char>(0x80 | (cp & 0x3f));
                    } else if (cp < 0x10000) {
                        out += static_cast<char>(0xe0 | (cp >> 12));
                        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
                        out += static_cast<char>(0x80 | (cp & 0x3f));
                    } else {
                        out += static_cast<char>(0xf0 | (cp >> 18));
                        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
                        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
                        out += static_cast<char>(0x80 | (cp & 0x3f));
                    }
                    break;
                }
                default:
                    out += c;
                    break;
            }
        }
        if (i_ >= s_.size()) error("unterminated string");
        ++i_;
        return out;
    }

    const std::string& s_;
    size_t i_ = 0;
};

inline Value parse_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    return Parser(text).parse();
}

}  // namespace testjson
