// Saving and loading named tensors in PyTorch's own format (torch.load / torch.save read it).
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/csrc/jit/serialization/unpickler.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#include "shim.h"

namespace {
thread_local std::vector<std::string> t_names;
thread_local std::vector<void*> t_tensors;

// libtorch 1.13 trusts a file's sizes, strides and offsets: a tensor whose view reaches past its storage (a truncated
// record, corrupted sizes) would read memory outside the buffer. Every element a loaded tensor can address must lie
// inside its storage, computed without overflow.
void check_in_storage(const char* path, const std::string& name, const at::Tensor& t,
                      const std::map<const void*, size_t>& records) {
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument(std::string(path) + ": tensor '" + name + "' " + why + " (damaged or hostile file)");
  };
  if (!t.defined()) fail("is undefined");
  if (t.dim() > 64) fail("has " + std::to_string(t.dim()) + " dimensions");
  const auto sizes = t.sizes(), strides = t.strides();
  int64_t offset = t.storage_offset();
  if (offset < 0) fail("has a negative storage offset");
  bool empty = false;
  int64_t last = offset;  // the furthest element the view addresses
  for (size_t d = 0; d < sizes.size(); d++) {
    if (sizes[d] < 0 || strides[d] < 0) fail("has a negative size or stride");
    if (sizes[d] == 0) empty = true;
  }
  if (empty) return;
  for (size_t d = 0; d < sizes.size(); d++) {
    int64_t reach;
    if (__builtin_mul_overflow(sizes[d] - 1, strides[d], &reach) || __builtin_add_overflow(last, reach, &last))
      fail("has sizes and strides that overflow");
  }
  int64_t bytes;
  if (__builtin_add_overflow(last, int64_t{1}, &bytes) || __builtin_mul_overflow(bytes, static_cast<int64_t>(t.element_size()), &bytes))
    fail("has sizes and strides that overflow");
  // The storage's own size comes from the pickle; what backs it is the record actually read from the archive.
  auto record = records.find(t.storage().data());
  int64_t held = record == records.end() ? 0 : static_cast<int64_t>(record->second);
  if (held < bytes) fail("needs " + std::to_string(bytes) + " bytes but its record holds " + std::to_string(held));
  if (static_cast<int64_t>(t.storage().nbytes()) > held)
    fail("claims a storage of " + std::to_string(t.storage().nbytes()) + " bytes but its record holds " + std::to_string(held));
}

// torch::jit::pickle_load, but remembering the size of every record it reads (keyed by the buffer a storage gets),
// so check_in_storage can compare what a tensor addresses with what the file holds.
c10::IValue load_archive(const char* path, std::map<const void*, size_t>& records) {
  caffe2::serialize::PyTorchStreamReader archive{std::string(path)};
  auto [pickle, pickle_size] = archive.getRecord("data.pkl");
  size_t position = 0;
  auto read = [&, data = static_cast<const char*>(pickle.get())](char* buffer, size_t n) -> size_t {
    n = std::min(n, pickle_size - position);
    std::memcpy(buffer, data + position, n);
    position += n;
    return n;
  };
  auto read_record = [&](const std::string& name) -> at::DataPtr {
    auto [data, size] = archive.getRecord("data/" + name);
    records[data.get()] = size;
    return std::move(data);
  };
  torch::jit::Unpickler unpickler(read, nullptr, nullptr, read_record, c10::nullopt);
  unpickler.set_version(archive.version());
  return unpickler.parse_ivalue();
}
}  // namespace

RT_API int32_t rt_save(void** tensors, const char** names, int32_t n, const char* path) {
  return rt_try([&] {
    c10::Dict<std::string, at::Tensor> dict;
    for (int32_t i = 0; i < n; i++) dict.insert(names[i], T(tensors[i]).detach());
    auto bytes = torch::jit::pickle_save(c10::IValue(dict));
    std::string tmp = std::string(path) + ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      if (!f) throw std::invalid_argument(std::string("cannot write ") + tmp);
      f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!f) throw std::invalid_argument(std::string("cannot write ") + tmp);
    }
    if (std::rename(tmp.c_str(), path) != 0) throw std::invalid_argument(std::string("cannot rename to ") + path);
  });
}

// Loads a file written by rt_save or by torch.save of a dict of tensors (or a single tensor,
// named ""). Returns the count; names and handles are read with rt_load_item.
RT_API int32_t rt_load(const char* path, int32_t* count) {
  return rt_try([&] {
    if (!std::ifstream(path, std::ios::binary)) throw std::invalid_argument(std::string("cannot open ") + path);
    std::map<const void*, size_t> records;
    auto value = load_archive(path, records);
    t_names.clear();
    t_tensors.clear();
    if (value.isTensor()) {
      check_in_storage(path, "", value.toTensor(), records);
      t_names.emplace_back("");
      t_tensors.push_back(rt_new_tensor(value.toTensor()));
    } else if (value.isGenericDict()) {
      for (const auto& kv : value.toGenericDict()) {
        if (!kv.key().isString() || !kv.value().isTensor())
          throw std::invalid_argument(std::string(path) + " holds a dict whose entries are not name -> tensor");
        check_in_storage(path, kv.key().toStringRef(), kv.value().toTensor(), records);
      }
      for (const auto& kv : value.toGenericDict()) {
        t_names.push_back(kv.key().toStringRef());
        t_tensors.push_back(rt_new_tensor(kv.value().toTensor()));
      }
    } else {
      throw std::invalid_argument(std::string(path) + " holds a " + value.tagKind() + ", not tensors");
    }
    *count = static_cast<int32_t>(t_tensors.size());
  });
}

RT_API const char* rt_load_name(int32_t i) { return t_names[i].c_str(); }
RT_API void* rt_load_tensor(int32_t i) { return t_tensors[i]; }
