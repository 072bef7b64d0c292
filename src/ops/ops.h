// Every differentiable op (umbrella header). Each op checks its operands' shapes and dtypes
// (throwing anymal::Error with the op and shapes named), dispatches to the active CPU kernel
// variant, and records its vjp for autograd.
#pragma once

#include "ops/attention.h"
#include "ops/elementwise.h"
#include "ops/embedding.h"
#include "ops/loss.h"
#include "ops/matmul.h"
#include "ops/norm.h"
#include "ops/reduce.h"
#include "ops/rope.h"
#include "ops/shape_ops.h"
#include "ops/softmax.h"
#include "ops/view.h"
