// The synthetic glasses world: deterministic per (seed, split, index), twelve tasks in turn,
// held-out (colour, class) pairs absent from train and present in test, answers consistent
// with what was drawn, images that survive PNG encode/decode.
#include "data/synth_world.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/error.h"
#include "data/synth_objects.h"
#include "formats/image.h"

using namespace anymal;
using namespace anymal::data;

TEST(SynthWorld, SameSeedSameBytesOtherSplitOtherScene) {
  for (int64_t i : {0, 5, 11, 100}) {
    const SynthSample a = synth_sample(7, Split::train, i), b = synth_sample(7, Split::train, i);
    EXPECT_EQ(a.image.rgb, b.image.rgb);
    EXPECT_EQ(a.question, b.question);
    EXPECT_EQ(a.answer, b.answer);
    const SynthSample t = synth_sample(7, Split::test, i);
    EXPECT_EQ(t.task, a.task);  // tasks go round-robin in every split
    EXPECT_NE(t.image.rgb, a.image.rgb);
    EXPECT_NE(synth_sample(8, Split::train, i).image.rgb, a.image.rgb);
  }
}

TEST(SynthWorld, TwelveTasksInTurnWithAnswers) {
  ASSERT_GE(synth_tasks().size(), 12u);
  std::map<std::string, std::set<std::string>> answers;
  for (int64_t i = 0; i < 240; ++i) {
    const SynthSample s = synth_sample(1, Split::val, i, 96);
    EXPECT_EQ(s.task, synth_tasks()[size_t(i) % synth_tasks().size()]);
    EXPECT_FALSE(s.question.empty());
    EXPECT_FALSE(s.answer.empty());
    EXPECT_EQ(s.image.width, 96);
    EXPECT_EQ(s.image.height, 96);
    answers[s.task].insert(s.answer);
  }
  // Every task's answer varies (nothing answerable without looking) ...
  for (const auto& [task, set] : answers) EXPECT_GE(set.size(), 2u) << task;
  // ... and the closed-vocabulary ones stay in their vocabulary.
  for (const auto& a : answers["count"]) EXPECT_TRUE(a >= "1" && a <= "4") << a;
  for (const auto& a : answers["exists"]) EXPECT_TRUE(a == "yes" || a == "no") << a;
  for (const auto& a : answers["species"]) {
    const auto& sp = butterfly_species();
    EXPECT_NE(std::find(sp.begin(), sp.end(), a), sp.end()) << a;
  }
  for (const auto& a : answers["call"]) EXPECT_EQ(a.rfind("{\"call\": \"+1 ", 0), 0u) << a;
}

TEST(SynthWorld, HeldOutPairsOnlyOutsideTrain) {
  int train_heldout = 0, test_heldout = 0;
  for (int64_t i = 0; i < 1200; ++i) {
    train_heldout += synth_sample(3, Split::train, i).heldout;
    test_heldout += synth_sample(3, Split::test, i).heldout;
  }
  EXPECT_EQ(train_heldout, 0);
  EXPECT_GT(test_heldout, 10);
}

TEST(SynthWorld, PngRoundTripAndBadArguments) {
  const SynthSample s = synth_sample(1, Split::train, 9, 128);
  const std::vector<uint8_t> png = encode_png(s.image);
  const Image back = decode_image(png, "sample.png");
  EXPECT_EQ(back.width, 128);
  EXPECT_EQ(back.rgb, s.image.rgb);
  EXPECT_THROW(synth_sample(1, Split::train, 0, 32), Error);
  EXPECT_THROW(split_from_name("dev"), Error);
}

// Follow-up questions about a scene: the first turn and the image are those of a one-question
// sample, the follow-ups are distinct, phrased as their tasks, and agree with the first answer
// where both speak of the same class.
TEST(SynthWorld, FollowUpsAskMoreOfTheSameSceneAndAgreeWithIt) {
  int total = 0;
  for (int64_t i = 0; i < 240; ++i) {
    const SynthSample one = synth_sample(4, Split::train, i, 80);
    const SynthSample many = synth_sample(4, Split::train, i, 80, 6);
    EXPECT_TRUE(one.follow_ups.empty());
    ASSERT_EQ(many.image.rgb, one.image.rgb) << i;
    EXPECT_EQ(many.question, one.question);
    EXPECT_EQ(many.answer, one.answer);
    EXPECT_EQ(synth_sample(4, Split::train, i, 80, 6).follow_ups, many.follow_ups);
    EXPECT_LE(many.follow_ups.size(), 5u);
    std::set<std::string> asked = {many.question};
    for (const auto& [q, a] : many.follow_ups) {
      EXPECT_TRUE(asked.insert(q).second) << "asked twice: " << q;
      if (q.rfind("Where is the ", 0) == 0)
        EXPECT_TRUE(a == "top left" || a == "top right" || a == "bottom left" ||
                    a == "bottom right")
            << a;
      if (q.rfind("Is there ", 0) == 0) EXPECT_TRUE(a == "yes" || a == "no") << a;
      if (q.rfind("How many ", 0) == 0) EXPECT_TRUE(a >= "1" && a <= "4") << a;
      // "Is there a cup?" -> no: then nothing else may be asked about cups; "How many cups?"
      // -> n: then "Is there a cup?" is answered yes.
      auto names = [&](const std::string& text, const std::string& cls) {
        return text.find(" " + cls + " ") != std::string::npos ||
               text.find(" " + cls + "?") != std::string::npos ||
               text.find(" " + plural(cls) + " ") != std::string::npos;
      };
      if (many.task == "exists" && many.answer == "no") {
        const size_t at = many.question.find(' ', 9) + 1;
        const std::string cls = many.question.substr(at, many.question.find(' ', at) - at);
        EXPECT_FALSE(names(q, cls)) << many.question << " -> no, then: " << q;
      }
      if (many.task == "count" && q.rfind("Is there ", 0) == 0) {
        const size_t at = q.find(' ', 9) + 1;
        const std::string cls = q.substr(at, q.find(' ', at) - at);
        if (names(many.question, cls)) EXPECT_EQ(a, "yes") << many.question << " then " << q;
      }
    }
    total += int(many.follow_ups.size());
  }
  EXPECT_GT(total, 240 * 3);  // most scenes have several things to ask about
}
