package io.alignstream.rewarder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.schemas.Demonstration;
import io.alignstream.schemas.Generation;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ScoringInputTest {
  private static TinyRewardLine line;

  @BeforeAll
  static void setUp() throws IOException {
    line = new TinyRewardLine();
  }

  @AfterAll
  static void tearDown() throws IOException {
    line.close();
  }

  static Demonstration demonstration(String id, String prompt, String response) {
    return Demonstration.newBuilder().setId(id).setPromptId("p-" + id).setPrompt(prompt).setResponse(response)
        .setSource("test").setCreatedAtMs(111).build();
  }

  static Generation generation(String id, List<Integer> prompt, List<Integer> response, List<Float> logProbs,
      boolean stoppedAtEos) {
    return Generation.newBuilder().setId(id).setPromptId("p-" + id).setRound(3).setPrompt("the cat")
        .setResponse("sat").setPromptTokenIds(prompt).setResponseTokenIds(response).setLogProbs(logProbs)
        .setPolicyName("sft").setPolicyVersion(7).setSampleIndex(1).setSamplerId("s-0").setTemperature(1f)
        .setTopP(0.95f).setTopK(0).setStoppedAtEos(stoppedAtEos).setCreatedAtMs(222).build();
  }

  @Test
  void aDemonstrationIsTokenizedAsTheLearnerSeesIt() {
    ScoringInput in = ScoringInput.of(demonstration("d1", "the cat sat", "on the mat"), line.tokenizer);
    assertArrayEquals(line.tokenizer.encode("the cat sat"), in.promptIds());
    long[] response = in.responseIds();
    assertEquals(line.tokenizer.eosId(), response[response.length - 1], "the response ends with EOS");
    assertArrayEquals(line.tokenizer.responseIds("on the mat"), response);
    assertEquals(4, response.length);

    ScoredSample s = in.scored(new double[] {0.5, -1.5}, -0.5, 1.0, 4, 999);
    assertEquals(SampleKind.DEMONSTRATION, s.getKind());
    assertEquals("d1", s.getId());
    assertEquals("p-d1", s.getPromptId());
    assertEquals(0, s.getRound());
    assertEquals("demonstration", s.getPolicyName());
    assertEquals(-1, s.getPolicyVersion());
    assertEquals(List.of(), s.getLogProbs());
    assertEquals(List.of(0.5f, -1.5f), s.getRewards());
    assertEquals(-0.5f, s.getRewardMean());
    assertEquals(1.0f, s.getRewardStd());
    assertEquals(4, s.getRewardModelVersion());
    assertEquals(111, s.getCreatedAtMs());
    assertEquals(999, s.getScoredAtMs());
    assertEquals("on the mat", s.getResponse());
    assertEquals(in.responseIds().length, s.getResponseTokenIds().size());
  }

  @Test
  void aGenerationIsCarriedThroughUnchanged() {
    int eos = line.tokenizer.eosId();
    Generation finished = generation("g1", List.of(5, 6), List.of(7, 8, eos), List.of(-0.1f, -0.2f, -0.3f), true);
    ScoredSample s = ScoringInput.of(finished).scored(new double[] {1, 2}, 1.5, 0.5, 9, 1000);
    assertEquals(SampleKind.GENERATION, s.getKind());
    assertEquals(List.of(5, 6), s.getPromptTokenIds());
    assertEquals(List.of(7, 8, eos), s.getResponseTokenIds(), "EOS kept when it stopped at EOS");
    assertEquals(List.of(-0.1f, -0.2f, -0.3f), s.getLogProbs());
    assertEquals(3, s.getRound());
    assertEquals("sft", s.getPolicyName());
    assertEquals(7, s.getPolicyVersion());
    assertEquals(9, s.getRewardModelVersion());
    assertEquals(222, s.getCreatedAtMs());

    Generation cut = generation("g2", List.of(5), List.of(7, 8), List.of(-0.1f, -0.2f), false);
    ScoringInput in = ScoringInput.of(cut);
    assertArrayEquals(new long[] {7, 8}, in.responseIds(), "no EOS is added to a response cut off by the limit");
    assertEquals(Optional.empty(), in.unfit(line.config));
  }

  @Test
  void saysWhyTheModelCannotScoreAnInput() {
    int eos = line.tokenizer.eosId();
    assertTrue(ScoringInput.of(demonstration("d", "", "the cat"), line.tokenizer).unfit(line.config).get()
        .contains("empty prompt"));
    assertTrue(ScoringInput.of(demonstration("d", "the cat ".repeat(20), "sat"), line.tokenizer).unfit(line.config)
        .get().contains("exceed the context of 32"));
    assertTrue(ScoringInput.of(generation("g", List.of(1), List.of(), List.of(), false)).unfit(line.config).get()
        .contains("empty response"));
    assertTrue(ScoringInput.of(generation("g", List.of(1), List.of(2, eos), List.of(-1f), true)).unfit(line.config)
        .get().contains("1 log-probs for 2"));
    assertTrue(ScoringInput.of(generation("g", List.of(1), List.of(9999), List.of(-1f), false)).unfit(line.config)
        .get().contains("outside the vocabulary"));
  }
}
