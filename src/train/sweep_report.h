// A sweep's results for people: a table (markdown, one row per run, best accuracy first,
// per-task accuracy columns) and a plot of accuracy against training FLOPs (log scale) with
// each family in its colour and the Pareto front (the runs no cheaper run beats) drawn through.
#pragma once

#include <string>
#include <vector>

#include "train/sweep_results.h"

namespace anymal::train {

std::string sweep_table(const std::vector<RunRow>& runs, bool per_task = true);
// The ids of the finished runs on the Pareto front, cheapest first.
std::vector<std::string> pareto_front(const std::vector<RunRow>& runs);
// Writes the plot as a PNG (atomically).
void plot_pareto(const std::vector<RunRow>& runs, const std::string& path);

}  // namespace anymal::train
