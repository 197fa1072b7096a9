# Builds the Node-API addon `trit.node` from source with the machine's Node headers (node-gyp; no download when
# npm's `nodedir` or --nodedir points at installed headers, see scripts/build-native.mjs).
#
# Targets:
#   trit_kernels_<isa>  one static library per ISA kernel file, compiled with ONLY that ISA's flags; the core picks
#                       a table at run time from CPUID/HWCAP, so nothing else may be built with these flags;
#   trit_core           the engine core (every native/src/*.cpp, found at configure time) + kernels/ref.cpp +
#                       kernels/cpu-features.cpp, built for the baseline ISA of the target;
#   trit                the addon (native/addon/*.cpp), the only code that includes napi.h.
{
  'variables': {
    'trit_version': '<!(node -p "require(\'../package.json\').version")',
    'trit_have_neon': 1,
    # 1 = AddressSanitizer + UndefinedBehaviorSanitizer, for scripts/test-native-asan.sh (never shipped).
    'trit_sanitize%': 0,
  },
  'target_defaults': {
    'include_dirs': ['include'],
    'defines': ['NAPI_VERSION=8', 'NAPI_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
    # Node's common.gypi builds C++ with -std=gnu++17 -fno-exceptions -fno-rtti; the engine reports errors with
    # exceptions, so turn them (and RTTI) back on and use strict C++17.
    'cflags!': ['-fno-exceptions'],
    'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-std=gnu++17'],
    'cflags': ['-O3', '-fPIC', '-fvisibility=hidden'],
    'cflags_cc': ['-std=c++17', '-fexceptions', '-frtti', '-fvisibility-inlines-hidden'],
    'xcode_settings': {
      'GCC_ENABLE_CPP_EXCEPTIONS': 'YES',
      'GCC_ENABLE_CPP_RTTI': 'YES',
      'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
      'GCC_SYMBOLS_PRIVATE_EXTERN': 'YES',
      'GCC_OPTIMIZATION_LEVEL': '3',
      'MACOSX_DEPLOYMENT_TARGET': '11.0',
    },
    'msvs_settings': {
      'VCCLCompilerTool': { 'ExceptionHandling': 1, 'RuntimeTypeInfo': 'true', 'AdditionalOptions': ['/std:c++17'] },
    },
    'conditions': [
      ['trit_sanitize==1', {
        'cflags': ['-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=undefined', '-fno-omit-frame-pointer'],
        'ldflags': ['-fsanitize=address,undefined'],
      }],
    ],
  },
  'targets': [
    {
      'target_name': 'trit_core',
      'type': 'static_library',
      'include_dirs': ['src', 'kernels'],
      'sources': [
        '<!@(node -p "require(\'fs\').readdirSync(\'src\').filter((f) => f.endsWith(\'.cpp\')).sort().map((f) => \'src/\' + f).join(\' \')")',
        'kernels/ref.cpp',
        'kernels/cpu-features.cpp',
      ],
    },
    {
      'target_name': 'trit',
      'dependencies': ['trit_core'],
      'include_dirs': ['<!(node -p "require(\'node-addon-api\').include_dir")'],
      'defines': ['TRIT_VERSION=<(trit_version)'],
      'sources': [
        '<!@(node -p "require(\'fs\').readdirSync(\'addon\').filter((f) => f.endsWith(\'.cpp\')).sort().map((f) => \'addon/\' + f).join(\' \')")',
      ],
      'conditions': [
        ['target_arch=="x64"', { 'dependencies': ['trit_kernels_avx2', 'trit_kernels_avxvnni', 'trit_kernels_avx512'] }],
        ['target_arch=="arm64" and trit_have_neon==1', { 'dependencies': ['trit_kernels_neon', 'trit_kernels_neondot'] }],
      ],
    },
  ],
  'conditions': [
    ['target_arch=="x64"', {
      'targets': [
        {
          'target_name': 'trit_kernels_avx2',
          'type': 'static_library',
          'include_dirs': ['src', 'kernels'],
          'sources': ['kernels/x86-avx2.cpp'],
          'cflags': ['-mavx2', '-mfma', '-mf16c'],
          'xcode_settings': { 'OTHER_CFLAGS': ['-mavx2', '-mfma', '-mf16c'] },
          'msvs_settings': { 'VCCLCompilerTool': { 'EnableEnhancedInstructionSet': '5' } },  # /arch:AVX2
        },
        {
          'target_name': 'trit_kernels_avxvnni',
          'type': 'static_library',
          'include_dirs': ['src', 'kernels'],
          'sources': ['kernels/x86-avxvnni.cpp'],
          'cflags': ['-mavx2', '-mfma', '-mf16c', '-mavxvnni'],
          'xcode_settings': { 'OTHER_CFLAGS': ['-mavx2', '-mfma', '-mf16c', '-mavxvnni'] },
          'msvs_settings': { 'VCCLCompilerTool': { 'EnableEnhancedInstructionSet': '5' } },  # /arch:AVX2
        },
        {
          'target_name': 'trit_kernels_avx512',
          'type': 'static_library',
          'include_dirs': ['src', 'kernels'],
          'sources': ['kernels/x86-avx512.cpp'],
          # GCC 12 warns about the deliberately undefined vectors inside its own AVX-512 headers (GCC PR105593).
          'cflags': ['-mavx512f', '-mavx512bw', '-mavx512vl', '-mavx512dq', '-mavx512vnni', '-mamx-tile', '-mamx-int8',
                     '-Wno-uninitialized', '-Wno-maybe-uninitialized'],
          'xcode_settings': { 'OTHER_CFLAGS': ['-mavx512f', '-mavx512bw', '-mavx512vl', '-mavx512dq', '-mavx512vnni'] },
          'msvs_settings': { 'VCCLCompilerTool': { 'EnableEnhancedInstructionSet': '6' } },  # /arch:AVX512
        },
      ],
    }],
    ['target_arch=="arm64" and trit_have_neon==1', {
      'targets': [
        {
          'target_name': 'trit_kernels_neon',
          'type': 'static_library',
          'include_dirs': ['src', 'kernels'],
          'sources': ['kernels/arm-neon.cpp'],
        },
        {
          'target_name': 'trit_kernels_neondot',
          'type': 'static_library',
          'include_dirs': ['src', 'kernels'],
          'sources': ['kernels/arm-neon-dotprod.cpp'],
          'cflags': ['-march=armv8.2-a+dotprod'],
          'xcode_settings': { 'OTHER_CFLAGS': ['-march=armv8.2-a+dotprod'] },
        },
      ],
    }],
  ],
}
