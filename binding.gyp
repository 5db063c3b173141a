# Build of the kiln native runtime (build/Release/kiln.node).
# Portable code is compiled for the generic target (no -march); the ISA-specific
# GEMM micro-kernels live in their own static libraries compiled with AVX2+FMA
# or AVX-512 flags and are only called after a cpuid check at run time.
{
  'variables': {
    'kiln_common_cflags': ['-O3', '-fPIC', '-Wall', '-Wextra', '-Wno-unused-parameter'],
  },
  'target_defaults': {
    'cflags!': ['-fno-exceptions'],
    'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-std=gnu++17', '-std=gnu++20'],
    'cflags_cc': ['-std=c++17'],
    'xcode_settings': {
      'GCC_ENABLE_CPP_EXCEPTIONS': 'YES',
      'GCC_ENABLE_CPP_RTTI': 'YES',
      'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
      'CLANG_CXX_LIBRARY': 'libc++',
      'MACOSX_DEPLOYMENT_TARGET': '10.15',
      'GCC_OPTIMIZATION_LEVEL': '3',
    },
    'msvs_settings': {
      'VCCLCompilerTool': { 'ExceptionHandling': 1, 'AdditionalOptions': ['/std:c++17'] },
    },
  },
  'conditions': [
    ['target_arch=="x64"', {
      'targets': [
        {
          'target_name': 'kiln_avx2',
          'type': 'static_library',
          'sources': ['native/cpu/sgemm-avx2.cc'],
          'cflags': ['<@(kiln_common_cflags)', '-mavx2', '-mfma'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-mavx2', '-mfma'] },
          'msvs_settings': { 'VCCLCompilerTool': { 'AdditionalOptions': ['/arch:AVX2'] } },
        },
        {
          'target_name': 'kiln_avx512',
          'type': 'static_library',
          'sources': ['native/cpu/sgemm-avx512.cc'],
          'cflags': ['<@(kiln_common_cflags)', '-mavx512f', '-mfma'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-mavx512f', '-mfma'] },
          'msvs_settings': { 'VCCLCompilerTool': { 'AdditionalOptions': ['/arch:AVX512'] } },
        },
      ],
    }],
  ],
  'targets': [
    {
      'target_name': 'kiln',
      'sources': [
        'native/binding.cc',
        'native/binding-errors.cc',
        'native/binding-plan.cc',
        'native/binding-run.cc',
        'native/byte-cursor.cc',
        'native/checksum.cc',
        'native/cpu-features.cc',
        'native/dtype.cc',
        'native/engine.cc',
        'native/execution-context.cc',
        'native/plan-reader.cc',
        'native/plan-validate.cc',
        'native/plan-writer.cc',
        'native/thread-pool.cc',
        'native/cpu/activation.cc',
        'native/cpu/broadcast.cc',
        'native/cpu/conv-im2col.cc',
        'native/cpu/epilogue.cc',
        'native/cpu/kernel-binary.cc',
        'native/cpu/kernel-concat.cc',
        'native/cpu/kernel-conv.cc',
        'native/cpu/kernel-copy.cc',
        'native/cpu/kernel-gemm.cc',
        'native/cpu/kernel-pool.cc',
        'native/cpu/kernel-registry.cc',
        'native/cpu/kernel-scale.cc',
        'native/cpu/kernel-softmax.cc',
        'native/cpu/kernel-transpose.cc',
        'native/cpu/kernel-unary.cc',
        'native/cpu/layer-check.cc',
        'native/cpu/sgemm.cc',
        'native/cpu/sgemm-dispatch.cc',
        'native/cpu/sgemm-generic.cc',
        'native/cpu/sgemm-pack.cc',
        'native/cpu/sgemm-tiling.cc',
      ],
      'include_dirs': ["<!@(node -p \"require('node-addon-api').include\")"],
      'defines': ['NAPI_CPP_EXCEPTIONS', 'NAPI_VERSION=8', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'cflags': ['<@(kiln_common_cflags)'],
      'conditions': [
        ['target_arch=="x64"', {
          'defines': ['KILN_HAVE_AVX2', 'KILN_HAVE_AVX512'],
          'dependencies': ['kiln_avx2', 'kiln_avx512'],
        }],
        ['OS=="linux"', { 'libraries': ['-pthread'], 'cflags': ['-pthread'] }],
      ],
    },
  ],
}
