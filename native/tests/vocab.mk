# Builds the tokenizer's C++ tests: the unit test (test-vocab) and the driver used by test/native/tokenizer*.test.ts
# (vocab-driver), each in a release build and in an ASan+UBSan build.
#
#   make -f native/tests/vocab.mk            build all four into native/build-tests/ (outside node-gyp's native/build, which its rebuild wipes)
#   make -f native/tests/vocab.mk check      build, then run the unit test in both builds
#
# Kept separate from the engine's test build so that it can be folded into it later. Each binary is linked under a
# temporary name and renamed, so that test files running this make at the same time never see half a binary.
CXX ?= g++
SRC := native/src
OUT := native/build-tests
CXXFLAGS_COMMON := -std=c++17 -Wall -Wextra -Wpedantic -Wshadow -Inative/include -Inative/src
CXXFLAGS_REL := $(CXXFLAGS_COMMON) -O2 -g
CXXFLAGS_SAN := $(CXXFLAGS_COMMON) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRCS := $(SRC)/vocab.cpp $(SRC)/pretokenize.cpp $(SRC)/unicode.cpp $(SRC)/unicode-data.cpp $(SRC)/utf8-stream.cpp
LIB_HDRS := $(SRC)/vocab.h $(SRC)/vocab-index.h $(SRC)/pretokenize.h $(SRC)/unicode.h native/include/trit/engine.h

BINS := $(OUT)/test-vocab $(OUT)/test-vocab-san $(OUT)/vocab-driver $(OUT)/vocab-driver-san

all: $(BINS)

$(OUT):
	mkdir -p $@

$(OUT)/test-vocab: native/tests/test-vocab.cpp $(LIB_SRCS) $(LIB_HDRS) | $(OUT)
	$(CXX) $(CXXFLAGS_REL) -o $@.$$$$.tmp native/tests/test-vocab.cpp $(LIB_SRCS) && mv -f $@.$$$$.tmp $@

$(OUT)/test-vocab-san: native/tests/test-vocab.cpp $(LIB_SRCS) $(LIB_HDRS) | $(OUT)
	$(CXX) $(CXXFLAGS_SAN) -o $@.$$$$.tmp native/tests/test-vocab.cpp $(LIB_SRCS) && mv -f $@.$$$$.tmp $@

$(OUT)/vocab-driver: native/tests/vocab-driver.cpp $(LIB_SRCS) $(LIB_HDRS) | $(OUT)
	$(CXX) $(CXXFLAGS_REL) -o $@.$$$$.tmp native/tests/vocab-driver.cpp $(LIB_SRCS) && mv -f $@.$$$$.tmp $@

$(OUT)/vocab-driver-san: native/tests/vocab-driver.cpp $(LIB_SRCS) $(LIB_HDRS) | $(OUT)
	$(CXX) $(CXXFLAGS_SAN) -o $@.$$$$.tmp native/tests/vocab-driver.cpp $(LIB_SRCS) && mv -f $@.$$$$.tmp $@

check: $(OUT)/test-vocab $(OUT)/test-vocab-san
	$(OUT)/test-vocab
	$(OUT)/test-vocab-san

.PHONY: all check
