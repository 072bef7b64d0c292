// Sweep configs expand into the runs they name (grid, random K), each run's values change its
// recipe as documented, ids are stable, and bad configs are errors that name the problem; the
// results database keeps runs across reopenings and refuses a locked or damaged file with
// advice; the
// Pareto front is the set of runs no cheaper run beats.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <set>

#include "core/error.h"
#include "temp_dir.h"
#include "train/sweep_config.h"
#include "train/sweep_report.h"
#include "train/sweep_results.h"

using namespace anymal;
using namespace anymal::train;
using testkit::TempDir;

namespace {

const nlohmann::json kRecipe = nlohmann::json::parse(R"({
  "data": {"train": "train.jsonl"}, "tokenizer": {"vocab_size": 300},
  "model": {"lm": {"dim": 32, "n_layer": 2, "n_head": 4, "ff": 64},
            "vit": {"image_size": 32, "patch": 8, "dim": 24, "n_layer": 1, "n_head": 2, "ff": 48}},
  "stages": [
    {"name": "text", "kind": "text", "steps": 5, "train": ["lm"]},
    {"name": "align", "kind": "multimodal", "steps": 5, "train": ["projector"], "lr": 0.003},
    {"name": "instruct", "kind": "multimodal", "steps": 9, "lr": 0.002, "min_lr": 0.0002,
     "train": ["projector", "lora"], "lora_rank": 8}]})");

struct Files {
  TempDir tmp{"sweep_cfg"};
  Files() {
    std::ofstream(tmp.str("recipe.json")) << kRecipe.dump();
    std::ofstream(tmp.str("train.jsonl")) << "";
  }
  SweepConfig load(const nlohmann::json& axes, const nlohmann::json& search = "grid") {
    const nlohmann::json j = {{"recipe", "recipe.json"},
                              {"axes", axes},
                              {"search", search},
                              {"eval", {{"data", "test.jsonl"}}}};
    return SweepConfig::from_json(j, tmp.str("sweep.json"));
  }
  std::string error(const nlohmann::json& axes, const nlohmann::json& search = "grid") {
    try {
      load(axes, search);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
};

}  // namespace

TEST(SweepConfig, GridExpandsEveryCombinationWithStableIds) {
  Files f;
  const SweepConfig c =
      f.load({{"family", {"mlp", "xattn(every=2)", "resampler(depth=2,tokens=4)"}},
              {"lora_rank", {0, 4}}});
  ASSERT_EQ(c.runs.size(), 6u);
  std::set<std::string> ids;
  for (const RunSpec& r : c.runs) ids.insert(r.id);
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_EQ(c.runs[0].id.rfind("mlp_lora0_", 0), 0u) << c.runs[0].id;
  // The same values give the same id whatever else the sweep holds.
  const SweepConfig other = f.load({{"family", {"xattn(every=2)"}}, {"lora_rank", {4, 0}}});
  EXPECT_EQ(other.runs[1].id, c.runs[2].id);
  EXPECT_EQ(c.runs[2].family_kind(), "xattn");
}

TEST(SweepConfig, ValuesChangeTheRecipeAsDocumented) {
  const nlohmann::json x = apply_params(kRecipe,
                                        {{"family", "xattn(every=2,depth=3,tokens=8)"},
                                         {"lora_rank", 0},
                                         {"lr", 0.004},
                                         {"steps", 50},
                                         {"data_size", 100}},
                                        "t");
  EXPECT_EQ(x["model"]["xattn_every"], 2);
  EXPECT_EQ(x["model"]["projector"], "perceiver");
  EXPECT_EQ(x["model"]["perceiver_layers"], 3);
  EXPECT_EQ(x["model"]["perceiver_queries"], 8);
  EXPECT_EQ(x["stages"][1]["train"], nlohmann::json({"projector", "xattn"}));
  EXPECT_EQ(x["stages"][2]["train"], nlohmann::json({"projector", "xattn"}));  // lora gone
  EXPECT_FALSE(x["stages"][2].contains("lora_rank"));
  EXPECT_DOUBLE_EQ(x["stages"][2]["lr"].get<double>(), 0.004);
  EXPECT_NEAR(x["stages"][2]["min_lr"].get<double>(), 0.0004, 1e-9);
  EXPECT_EQ(x["stages"][2]["steps"], 50);
  EXPECT_EQ(x["stages"][1]["steps"], 5);  // only the last stage
  EXPECT_EQ(x["data"]["limit"], 100);
  const nlohmann::json m = apply_params(x, {{"family", "mlp"}, {"lora_rank", 16}}, "t");
  EXPECT_FALSE(m["model"].contains("xattn_every"));
  EXPECT_EQ(m["model"]["projector"], "mlp");
  EXPECT_EQ(m["stages"][2]["lora_rank"], 16);
}

TEST(SweepConfig, RandomSearchPicksKDistinctRuns) {
  Files f;
  const nlohmann::json axes = {{"lr", {0.001, 0.002, 0.003, 0.004}}, {"lora_rank", {0, 4, 8}}};
  const SweepConfig c = f.load(axes, {{"random", 5}, {"seed", 3}});
  ASSERT_EQ(c.runs.size(), 5u);
  std::set<std::string> ids;
  for (const RunSpec& r : c.runs) ids.insert(r.id);
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_EQ(f.load(axes, {{"random", 5}, {"seed", 3}}).runs[4].id, c.runs[4].id);
  EXPECT_EQ(f.load(axes, {{"random", 50}}).runs.size(), 12u);  // K beyond the grid: all of it
}

TEST(SweepConfig, BadConfigsNameTheProblem) {
  Files f;
  EXPECT_NE(f.error({{"depth", {1, 2}}}).find("unknown axis \"depth\""), std::string::npos);
  EXPECT_NE(f.error({{"lr", nlohmann::json::array()}}).find("empty search space"),
            std::string::npos);
  EXPECT_NE(f.error(nlohmann::json::object()).find("empty search space"), std::string::npos);
  EXPECT_NE(f.error({{"family", {"xattn"}}}).find("needs every=N"), std::string::npos);
  EXPECT_NE(f.error({{"family", {"resampler(depth=2)"}}}).find("needs depth=D and tokens=N"),
            std::string::npos);
  EXPECT_NE(f.error({{"family", {"mlp(every=2)"}}}).find("takes no \"every\""), std::string::npos);
  EXPECT_NE(f.error({{"family", {"qformer"}}}).find("is not mlp"), std::string::npos);
  EXPECT_NE(f.error({{"lr", {0.1, 0.1}}}).find("listed twice"), std::string::npos);
  EXPECT_NE(f.error({{"lr", {-1}}}).find("numbers > 0"), std::string::npos);
  EXPECT_NE(f.error({{"lr", {0.1}}}, {{"random", 0}}).find("K >= 1"), std::string::npos);
  EXPECT_NE(f.error({{"lr", {0.1}}}, "bayes").find("grid"), std::string::npos);
  EXPECT_NE(f.error({{"family", {"xattn(every=99999999999999999999)"}}}).find("cannot read"),
            std::string::npos);
  EXPECT_NE(f.error({{"lr", {0.1}}}, {{"random", 2}, {"seed", "x"}}).find("seed must be"),
            std::string::npos);
  // Names become directories and job names: nothing that could leave the sweep's folder.
  for (const nlohmann::json& name :
       {nlohmann::json("../x"), nlohmann::json("a b"), nlohmann::json(".."), nlohmann::json(3)}) {
    nlohmann::json j = {{"name", name},
                        {"recipe", "recipe.json"},
                        {"axes", {{"lr", {0.1}}}},
                        {"eval", {{"data", "t.jsonl"}}}};
    try {
      SweepConfig::from_json(j, f.tmp.str("sweep.json"));
      ADD_FAILURE() << "name " << name << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("name must be"), std::string::npos) << e.what();
    }
  }
}

TEST(SweepConfig, AChangedBaseRecipeMakesNewRuns) {
  Files f;
  const std::string before = f.load({{"lr", {0.001}}}).runs[0].id;
  nlohmann::json changed = kRecipe;
  changed["stages"][1]["steps"] = 6;
  std::ofstream(f.tmp.str("recipe.json")) << changed.dump();
  const std::string after = f.load({{"lr", {0.001}}}).runs[0].id;
  EXPECT_NE(before, after);
  EXPECT_EQ(before.substr(0, before.rfind('_')), after.substr(0, after.rfind('_')));  // lr0.001
}

TEST(ResultsDb, KeepsRunsAndRefusesADamagedFile) {
  TempDir tmp("sweep_db");
  {
    ResultsDb db(tmp.str("results.db"));
    db.add("a", "mlp", {{"family", "mlp"}});
    db.add("b", "xattn", {{"family", "xattn(every=1)"}});
    db.add("a", "mlp", {{"family", "other"}});  // already there: unchanged
    db.set_running("a");
    db.set_done("a", {{"accuracy", 0.5}, {"train_flops", 2e12}});
    db.set_failed("b", "killed by signal 9");
  }
  ResultsDb db(tmp.str("results.db"));
  const auto rows = db.all();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, "done");
  EXPECT_EQ(rows[0].params["family"], "mlp");
  EXPECT_EQ(rows[0].result["accuracy"], 0.5);
  EXPECT_EQ(rows[1].status, "failed");
  EXPECT_EQ(rows[1].error, "killed by signal 9");

  // Another process in the middle of a write: a clear error once the wait is over.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(tmp.str("results.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  try {
    ResultsDb busy(tmp.str("results.db"), 50);
    busy.set_running("a");
    FAIL() << "wrote through another writer's lock";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another process"), std::string::npos) << e.what();
  }
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);

  std::ofstream(tmp.str("bad.db")) << std::string(4096, 'x');
  try {
    ResultsDb bad(tmp.str("bad.db"));
    FAIL() << "a damaged database opened";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("result.json is re-imported"), std::string::npos)
        << e.what();
  }
}

TEST(Report, ParetoFrontIsTheRunsNoCheaperRunBeats) {
  auto run = [](const std::string& id, double flops, double acc, const std::string& status) {
    RunRow r;
    r.id = id;
    r.family = "mlp";
    r.status = status;
    r.result = {{"train_flops", flops}, {"accuracy", acc}};
    return r;
  };
  const std::vector<RunRow> rows = {run("a", 1e12, 0.3, "done"), run("b", 2e12, 0.2, "done"),
                                    run("c", 3e12, 0.5, "done"), run("d", 4e12, 0.5, "done"),
                                    run("e", 5e11, 0.9, "failed")};
  EXPECT_EQ(pareto_front(rows), (std::vector<std::string>{"a", "c"}));
  // A result file with odd values (hand-edited, another version) does not break the report.
  std::vector<RunRow> odd = rows;
  odd.push_back(run("f", 0, 0, "done"));
  odd.back().result = {{"accuracy", "high"}, {"tasks", {{"color", "x"}}}, {"train_flops", {}}};
  EXPECT_EQ(pareto_front(odd), (std::vector<std::string>{"a", "c"}));
  EXPECT_NE(sweep_table(odd).find("| f |"), std::string::npos);
  TempDir tmp("sweep_plot");
  plot_pareto(odd, tmp.str("p.png"));
  const std::string table = sweep_table(rows);
  EXPECT_LT(table.find("| c |"), table.find("| a |"));  // best first
  EXPECT_NE(table.find("failed e"), std::string::npos);
}
