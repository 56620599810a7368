#include "shim.h"

static thread_local std::string g_last_error;

void rt_set_error(int32_t kind, const std::string& message) { g_last_error = message; }

int32_t rt_guard_error(const std::exception& e, int32_t kind) {
  if (auto* c10e = dynamic_cast<const c10::Error*>(&e)) {
    g_last_error = c10e->what_without_backtrace();
  } else {
    g_last_error = e.what();
  }
  return kind;
}

RT_API const char* rt_last_error() { return g_last_error.c_str(); }

// Lets managed callbacks (custom backward functions) report why they failed.
RT_API void rt_set_last_error(const char* message) { g_last_error = message ? message : ""; }
