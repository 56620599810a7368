// Saving and loading named tensors in PyTorch's own format (torch.load / torch.save read it).
#include <torch/csrc/jit/serialization/pickle.h>

#include <fstream>
#include <iterator>

#include "shim.h"

namespace {
thread_local std::vector<std::string> t_names;
thread_local std::vector<void*> t_tensors;
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
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::invalid_argument(std::string("cannot open ") + path);
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto value = torch::jit::pickle_load(bytes);
    t_names.clear();
    t_tensors.clear();
    if (value.isTensor()) {
      t_names.emplace_back("");
      t_tensors.push_back(rt_new_tensor(value.toTensor()));
    } else if (value.isGenericDict()) {
      for (const auto& kv : value.toGenericDict()) {
        if (!kv.key().isString() || !kv.value().isTensor())
          throw std::invalid_argument(std::string(path) + " holds a dict whose entries are not name -> tensor");
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
