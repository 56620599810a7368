// Distributed training over libtorch's own c10d: stores (TCP, file, prefix), process groups (Gloo; NCCL on CUDA builds
// that ship it), collectives, and c10d's Reducer, the engine behind PyTorch's DistributedDataParallel (bucketed
// gradient averaging that runs from autograd hooks while backward is still going).
// The c10d headers are included here only: they pull in Gloo's headers (libgloo-dev) and ATen's full API.
// CMakeLists.txt defines RT_WITH_C10D where they can be used: libtorch 1.x's c10d API (2.x split process groups into
// ProcessGroup + Backend) with Gloo's headers present. Elsewhere the entry points report that plainly.
#include "shim.h"

#ifdef RT_WITH_C10D
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#ifdef RT_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>

namespace {

using StorePtr = c10::intrusive_ptr<c10d::Store>;
using GroupPtr = c10::intrusive_ptr<c10d::ProcessGroup>;

StorePtr& S(void* p) { return *static_cast<StorePtr*>(p); }
GroupPtr& G(void* p) { return *static_cast<GroupPtr*>(p); }

std::chrono::milliseconds ms(int64_t timeout_ms) {
  if (timeout_ms <= 0) throw std::invalid_argument("a distributed timeout must be positive, not " + std::to_string(timeout_ms) + " ms");
  return std::chrono::milliseconds(timeout_ms);
}

std::string str(const char* s, const char* what) {
  if (!s) throw std::invalid_argument(std::string(what) + " must not be null");
  return s;
}

c10d::ReduceOp reduce_op(int32_t op) {
  switch (op) {
    case 0: return c10d::ReduceOp::SUM;
    case 1: return c10d::ReduceOp::PRODUCT;
    case 2: return c10d::ReduceOp::MIN;
    case 3: return c10d::ReduceOp::MAX;
    default: throw std::invalid_argument("unknown reduce operation " + std::to_string(op));
  }
}

// A collective returns a Work; waiting on it throws (with the backend's message) when a peer is gone or the group's
// timeout passes, so a dead rank becomes an exception on every other rank.
void wait(const c10::intrusive_ptr<c10d::Work>& work) { work->wait(); }

struct ReducerHandle {
  std::unique_ptr<c10d::Reducer> reducer;
};

}  // namespace

// ---- stores ----

// A TCPStore: the server (rank 0 in PyTorch's layout) listens on port (0: a free port chosen by the OS, see
// rt_dist_store_port); clients connect to host:port, retrying until timeout_ms.
RT_API int32_t rt_dist_store_tcp(const char* host, int32_t port, int32_t is_server, int32_t world_size, int64_t timeout_ms,
                                 void** out) {
  rt_enter_thread();
  return rt_try([&] {
    if (port < 0 || port > 65535) throw std::invalid_argument("port must be in 0..65535, not " + std::to_string(port));
    c10d::TCPStoreOptions o;
    o.port = static_cast<std::uint16_t>(port);
    o.isServer = is_server != 0;
    if (world_size > 0) o.numWorkers = world_size;
    o.waitWorkers = false;
    o.timeout = ms(timeout_ms);
    o.multiTenant = true;
    *out = new StorePtr(c10::make_intrusive<c10d::TCPStore>(str(host, "host"), o));
  });
}

RT_API int32_t rt_dist_store_port(void* store, int32_t* port) {
  return rt_try([&] {
    auto tcp = dynamic_cast<c10d::TCPStore*>(S(store).get());
    if (!tcp) throw std::invalid_argument("not a TCP store");
    *port = tcp->getPort();
  });
}

RT_API int32_t rt_dist_store_file(const char* path, int32_t world_size, int64_t timeout_ms, void** out) {
  rt_enter_thread();
  return rt_try([&] {
    auto s = c10::make_intrusive<c10d::FileStore>(str(path, "path"), world_size);
    s->setTimeout(ms(timeout_ms));
    *out = new StorePtr(s);
  });
}

// Keys of the new store are prefix + "/" + key in the underlying one (PyTorch's PrefixStore).
RT_API int32_t rt_dist_store_prefix(const char* prefix, void* store, void** out) {
  return rt_try([&] { *out = new StorePtr(c10::make_intrusive<c10d::PrefixStore>(str(prefix, "prefix"), S(store))); });
}

RT_API void rt_dist_store_free(void* store) { delete static_cast<StorePtr*>(store); }

RT_API int32_t rt_dist_store_set(void* store, const char* key, const uint8_t* data, int64_t n) {
  return rt_try([&] { S(store)->set(str(key, "key"), std::vector<uint8_t>(data, data + n)); });
}

// Gets a value, waiting up to the store's timeout for the key; the bytes stay readable until the next get on this thread.
RT_API int32_t rt_dist_store_get(void* store, const char* key, const uint8_t** data, int64_t* n) {
  static thread_local std::vector<uint8_t> value;
  return rt_try([&] {
    value = S(store)->get(str(key, "key"));
    *data = value.data();
    *n = static_cast<int64_t>(value.size());
  });
}

RT_API int32_t rt_dist_store_add(void* store, const char* key, int64_t amount, int64_t* result) {
  return rt_try([&] { *result = S(store)->add(str(key, "key"), amount); });
}

RT_API int32_t rt_dist_store_wait(void* store, const char* key, int64_t timeout_ms) {
  return rt_try([&] { S(store)->wait({str(key, "key")}, ms(timeout_ms)); });
}

// ---- process groups ----

// A Gloo group over store. The transport device listens on interface (e.g. "eth0") when given, else on the address
// hostname resolves to (e.g. "127.0.0.1"), else on Gloo's default device (the machine's hostname, falling back to loopback).
RT_API int32_t rt_dist_group_gloo(void* store, int32_t rank, int32_t size, int64_t timeout_ms, const char* interface,
                                  const char* hostname, void** out) {
  rt_enter_thread();
  return rt_try([&] {
    if (size < 1 || rank < 0 || rank >= size)
      throw std::invalid_argument("rank " + std::to_string(rank) + " is not in a world of size " + std::to_string(size));
    auto options = c10d::ProcessGroupGloo::Options::create(ms(timeout_ms));
    if (interface && *interface)
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
    else if (hostname && *hostname)
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(hostname));
    else
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(S(store), rank, size, options);
    // PyTorch's init_process_group agrees on a sequence number through the store (rank 0 writes, others read);
    // doing the same lets a PyTorch rank join this group.
    group->setSequenceNumberForGroup();
    *out = new GroupPtr(group);
  });
}

RT_API int32_t rt_dist_nccl_available() {
#ifdef RT_WITH_NCCL
  return 1;
#else
  return 0;
#endif
}

// An NCCL group (CUDA builds of libtorch that ship NCCL); tensors must be on the rank's GPU.
RT_API int32_t rt_dist_group_nccl(void* store, int32_t rank, int32_t size, int64_t timeout_ms, void** out) {
  rt_enter_thread();
  return rt_try([&] {
#ifdef RT_WITH_NCCL
    if (size < 1 || rank < 0 || rank >= size)
      throw std::invalid_argument("rank " + std::to_string(rank) + " is not in a world of size " + std::to_string(size));
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = ms(timeout_ms);
    auto group = c10::make_intrusive<c10d::ProcessGroupNCCL>(S(store), rank, size, options);
    group->setSequenceNumberForGroup();
    *out = new GroupPtr(group);
#else
    throw c10::NotImplementedError(
        {__func__, __FILE__, static_cast<uint32_t>(__LINE__)},
        "this libtorch was built without NCCL (a CPU build): use the Gloo backend, or build the shim against a CUDA libtorch");
#endif
  });
}

RT_API void rt_dist_group_free(void* group) { delete static_cast<GroupPtr*>(group); }

RT_API int32_t rt_dist_group_info(void* group, int32_t* rank, int32_t* size) {
  return rt_try([&] {
    *rank = G(group)->getRank();
    *size = G(group)->getSize();
  });
}

// ---- collectives (in place, blocking until done or failed) ----

RT_API int32_t rt_dist_all_reduce(void* group, void* tensor, int32_t op) {
  rt_enter_thread();
  return rt_try([&] {
    std::vector<at::Tensor> ts{T(tensor)};
    c10d::AllreduceOptions o;
    o.reduceOp = reduce_op(op);
    wait(G(group)->allreduce(ts, o));
  });
}

RT_API int32_t rt_dist_broadcast(void* group, void** tensors, int32_t n, int32_t root) {
  rt_enter_thread();
  return rt_try([&] {
    if (root < 0 || root >= G(group)->getSize())
      throw std::invalid_argument("root " + std::to_string(root) + " is not a rank of a group of size " + std::to_string(G(group)->getSize()));
    for (int32_t i = 0; i < n; i++) {
      std::vector<at::Tensor> ts{T(tensors[i])};
      c10d::BroadcastOptions o;
      o.rootRank = root;
      wait(G(group)->broadcast(ts, o));
    }
  });
}

// Gathers tensor from every rank into results[0..size) (new tensors owned by the caller).
RT_API int32_t rt_dist_all_gather(void* group, void* tensor, void** results) {
  rt_enter_thread();
  return rt_try([&] {
    int32_t size = G(group)->getSize();
    std::vector<at::Tensor> input{T(tensor)};
    std::vector<std::vector<at::Tensor>> output(1);
    for (int32_t i = 0; i < size; i++) output[0].push_back(at::empty_like(T(tensor)));
    wait(G(group)->allgather(output, input));
    for (int32_t i = 0; i < size; i++) results[i] = rt_new_tensor(output[0][i]);
  });
}

RT_API int32_t rt_dist_barrier(void* group) {
  rt_enter_thread();
  return rt_try([&] { wait(G(group)->barrier()); });
}

// Copies rank root's tensors to every rank, packed into buffers of up to buffer_bytes (PyTorch DDP's parameter sync).
RT_API int32_t rt_dist_broadcast_coalesced(void* group, void** tensors, int32_t n, int64_t buffer_bytes, int32_t root) {
  rt_enter_thread();
  return rt_try([&] {
    std::vector<at::Tensor> ts;
    for (int32_t i = 0; i < n; i++) ts.push_back(T(tensors[i]));
    c10d::broadcast_coalesced(G(group), ts, static_cast<size_t>(buffer_bytes), root);
  });
}

// ---- data-parallel gradient reduction (c10d::Reducer) ----

// Hooks every parameter's gradient accumulator: during backward, gradients are averaged over the group in buckets of
// about bucket_bytes (the first bucket first_bucket_bytes), each bucket's all-reduce starting as soon as its gradients
// are ready; backward returns once all are done and copied back into .grad.
RT_API int32_t rt_dist_reducer_new(void* group, void** params, int32_t n, int64_t bucket_bytes, int64_t first_bucket_bytes,
                                   void** out) {
  rt_enter_thread();
  return rt_try([&] {
    if (n < 1) throw std::invalid_argument("data-parallel training needs at least one parameter");
    std::vector<at::Tensor> ps;
    for (int32_t i = 0; i < n; i++) {
      auto& p = T(params[i]);
      if (!p.requires_grad() || !p.is_leaf())
        throw std::invalid_argument("parameter " + std::to_string(i) + " is not a leaf tensor that requires grad");
      ps.push_back(p);
    }
    std::vector<bool> sparse(ps.size(), false);
    auto [buckets, limits] = c10d::compute_bucket_assignment_by_size(
        ps, {static_cast<size_t>(first_bucket_bytes), static_cast<size_t>(bucket_bytes)}, sparse);
    // Gradients arrive roughly in reverse parameter order during backward: reverse the buckets as PyTorch's DDP does.
    std::reverse(buckets.begin(), buckets.end());
    std::reverse(limits.begin(), limits.end());
    auto h = std::make_unique<ReducerHandle>();
    h->reducer = std::make_unique<c10d::Reducer>(ps, buckets, limits, G(group), sparse, bucket_bytes,
                                                 /*find_unused_parameters=*/false, /*gradient_as_bucket_view=*/false,
                                                 std::unordered_map<size_t, std::string>{}, first_bucket_bytes);
    *out = h.release();
  });
}

// Arms the hooks for the next backward (PyTorch's DDP does this in forward).
RT_API int32_t rt_dist_reducer_prepare(void* reducer) {
  return rt_try([&] { static_cast<ReducerHandle*>(reducer)->reducer->prepare_for_backward({}); });
}

RT_API void rt_dist_reducer_free(void* reducer) {
  try {
    delete static_cast<ReducerHandle*>(reducer);
  } catch (...) {
    // ~Reducer may throw when a reduction failed (a peer died); the handle is gone either way.
  }
}

#else

namespace {
int32_t not_bound() {
  rt_set_error(RT_NOT_IMPLEMENTED,
               "distributed training is not bound in this build of the shim: it needs libtorch 1.x's c10d API and Gloo's "
               "headers (libgloo-dev); see docs/distributed.md");
  return RT_NOT_IMPLEMENTED;
}
}  // namespace

RT_API int32_t rt_dist_nccl_available() { return 0; }
RT_API int32_t rt_dist_store_tcp(const char*, int32_t, int32_t, int32_t, int64_t, void**) { return not_bound(); }
RT_API int32_t rt_dist_store_file(const char*, int32_t, int64_t, void**) { return not_bound(); }

#endif
