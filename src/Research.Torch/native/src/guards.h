#pragma once
#include <ATen/core/function_schema.h>
#include <ATen/core/ivalue.h>
#include <vector>

// True for the operators that divide integers (remainder, fmod, floor_divide, div with a rounding mode).
bool rt_is_integer_division(const c10::FunctionSchema& schema);

// Throws std::overflow_error when an integer division on the stack would divide a signed type's minimum by -1.
void rt_check_integer_division(const c10::FunctionSchema& schema, const std::vector<c10::IValue>& stack);
