// AlignedBuffer: an owned, 64-byte aligned block of bytes (cache-line and
// AVX-512 aligned). Engines keep their weight blob in one, contexts their arena,
// the GEMM its per-thread packing panels. Move-only; frees itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#ifdef _WIN32
#include <malloc.h>
#endif
#include <new>
#include <utility>

namespace kiln {

class AlignedBuffer {
 public:
  static constexpr size_t kAlignment = 64;

  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t bytes) { reset(bytes); }
  ~AlignedBuffer() { release(data_); }

  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    return *this;
  }

  // Contents are not preserved or zeroed: callers always overwrite before reading.
  void reset(size_t bytes) {
    release(data_);
    data_ = nullptr;
    size_ = 0;
    if (bytes == 0) return;
    // aligned_alloc wants a size that is a multiple of the alignment.
    size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    if (rounded < bytes) throw std::bad_alloc();
#ifdef _WIN32
    data_ = static_cast<uint8_t*>(_aligned_malloc(rounded, kAlignment));
#else
    data_ = static_cast<uint8_t*>(std::aligned_alloc(kAlignment, rounded));
#endif
    if (!data_) throw std::bad_alloc();
    size_ = bytes;
  }

  // Grows (never shrinks) so per-thread scratch settles after the first run.
  void ensure(size_t bytes) {
    if (bytes > size_) reset(bytes);
  }

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

  template <typename T>
  T* as() const {
    return reinterpret_cast<T*>(data_);
  }

 private:
  static void release(uint8_t* p) {
#ifdef _WIN32
    _aligned_free(p);
#else
    std::free(p);
#endif
  }

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace kiln
