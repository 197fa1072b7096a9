// A minimal test harness for the engine's C++ tests: TEST(name) registers a function, CHECK records a failure
// and goes on, REQUIRE stops the current test. run_all() runs every test (or those whose name contains
// argv[1]) and returns the process exit status.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

namespace check {

struct Test {
    const char* name;
    void (*fn)();
};

inline std::vector<Test>& registry() {
    static std::vector<Test> tests;
    return tests;
}

struct Register {
    Register(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

inline int& n_failures() {
    static int n = 0;
    return n;
}

struct Abort {};  // thrown by REQUIRE

inline void fail(const char* file, int line, const std::string& what) {
    ++n_failures();
    std::fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, what.c_str());
}

inline int run_all(int argc, char** argv) {
    const char* filter = argc > 1 ? argv[1] : nullptr;
    int n_run = 0, n_failed_tests = 0;
    for (const Test& t : registry()) {
        if (filter != nullptr && std::string(t.name).find(filter) == std::string::npos) continue;
        ++n_run;
        const int before = n_failures();
        const auto t0 = std::chrono::steady_clock::now();
        try {
            t.fn();
        } catch (const Abort&) {
        } catch (const std::exception& e) {
            fail(__FILE__, __LINE__, std::string("unexpected exception: ") + e.what());
        }
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        const bool ok = n_failures() == before;
        if (!ok) ++n_failed_tests;
        std::fprintf(stderr, "%s %s (%.0f ms)\n", ok ? "ok  " : "FAIL", t.name, ms);
    }
    std::fprintf(stderr, "%d tests, %d failed\n", n_run, n_failed_tests);
    return n_failed_tests == 0 && n_run > 0 ? 0 : 1;
}

}  // namespace check

#define TEST(name)                                               \
    static void name();                                          \
    static const check::Register name##_registered(#name, name); \
    static void name()

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond)) check::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
    } while (0)

#define CHECK_MSG(cond, msg)                                                                     \
    do {                                                                                         \
        if (!(cond)) check::fail(__FILE__, __LINE__, std::string("CHECK(" #cond "): ") + (msg)); \
    } while (0)

#define REQUIRE(cond)                                              \
    do {                                                           \
        if (!(cond)) {                                             \
            check::fail(__FILE__, __LINE__, "REQUIRE(" #cond ")"); \
            throw check::Abort();                                  \
        }                                                          \
    } while (0)

// Expects `expr` to throw trit::Error with the given code; on success `err_msg` holds the message.
#define CHECK_THROWS_CODE(expr, error_code)                                                         \
    do {                                                                                            \
        bool threw_ = false;                                                                        \
        try {                                                                                       \
            (void)(expr);                                                                           \
        } catch (const trit::Error& e_) {                                                           \
            threw_ = true;                                                                          \
            if (e_.code() != (error_code)) {                                                        \
                check::fail(__FILE__, __LINE__, std::string("wrong error code for: ") + e_.what()); \
            }                                                                                       \
        }                                                                                           \
        if (!threw_) check::fail(__FILE__, __LINE__, "expected trit::Error from " #expr);           \
    } while (0)
