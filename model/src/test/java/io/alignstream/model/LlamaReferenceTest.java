package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.model.llama.LlamaConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Llama-family checkpoints written by an independent PyTorch implementation
 * ({@code bench/reference/llama_reference.py}: its own RMSNorm, rotary embeddings with Llama 3 scaling,
 * grouped-query attention, SwiGLU, Qwen2 biases and Qwen3 q/k norms, computed in float64) load by name and
 * give that implementation's logits to 1e-4 and its greedy continuation token for token. The three
 * committed fixtures cover Llama (untied, GQA 2:1, llama3 rope scaling, two end tokens, F16), Qwen2 (q/k/v
 * biases, GQA 4:1, two BF16 shards with an index) and Qwen3 (q/k norms, head_dim 16 at width 32, BF16).
 */
class LlamaReferenceTest {

  @ParameterizedTest
  @ValueSource(strings = {"llama-tiny", "qwen2-tiny", "qwen3-tiny"})
  void committedReferenceModelGivesTheReferenceLogitsAndGreedyTokens(String preset) throws Exception {
    assertMatches(fixture(preset));
  }

  @ParameterizedTest
  @CsvSource({"llama-tiny, f32, 3", "qwen3-tiny, f16, 1"})
  void freshlyGeneratedReferenceModelGivesTheReferenceLogits(String preset, String dtype, int shards) throws Exception {
    Path python = Path.of("/usr/bin/python3");
    Path script = ReferenceLogitsTest.repositoryRoot().resolve("bench/reference/llama_reference.py");
    assumeTrue(Files.isExecutable(python) && Files.exists(script), "no /usr/bin/python3 or script");
    Process probe = new ProcessBuilder(python.toString(), "-c", "import torch").redirectErrorStream(true).start();
    assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0, "python3-torch is not installed");
    Path out = Files.createTempDirectory("llama-reference");
    try {
      Process p = new ProcessBuilder(python.toString(), script.toString(), "--preset", preset, "--out", out.toString(),
          "--seed", "99", "--dtype", dtype, "--shards", String.valueOf(shards)).redirectErrorStream(true).start();
      String log = new String(p.getInputStream().readAllBytes());
      assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, log);
      assertMatches(out);
    } finally {
      try (var files = Files.walk(out)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-tiny", "qwen2-tiny", "qwen3-tiny"})
  void aModelDirectoryRoundTripsWithItsConfig(String preset) throws Exception {
    Path dir = fixture(preset);
    Path out = Files.createTempDirectory("llama-roundtrip");
    try (Policy policy = Policy.load(dir)) {
      ModelConfig read = ModelConfig.read(dir.resolve(ModelConfig.FILE_NAME));
      assertInstanceOf(LlamaConfig.class, read);
      assertEquals(read, ModelConfig.fromJson(read.toJson()), "config.json written as read");
      policy.save(out);
      try (Policy loaded = Policy.load(out)) {
        assertEquals(read, loaded.config());
        assertArrayEquals(policy.weightsToBytes(), loaded.weightsToBytes());
        try (Policy fromBytes = Policy.fromBytes(read, policy.weightsToBytes(), 3)) {
          assertArrayEquals(Probes.logits(policy, new long[] {3, 4, 5}), Probes.logits(fromBytes, new long[] {3, 4, 5}));
        }
      }
    } finally {
      try (var files = Files.walk(out)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  static Path fixture(String preset) throws Exception {
    return Path.of(LlamaReferenceTest.class.getResource("/reference/" + preset + "/config.json").toURI()).getParent();
  }

  private static void assertMatches(Path dir) throws Exception {
    JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
    long[] tokens = ReferenceParity.longs(expected.get("tokens"));
    try (Policy policy = Policy.load(dir)) {
      int vocab = policy.config().vocabSize();
      float[] logits = Probes.logits(policy, tokens); // (seq, vocab)
      int first = expected.path("first_logits_row").asInt(0);
      double worst = 0;
      for (int t = first; t < tokens.length; t++) {
        JsonNode row = expected.get("logits").get(t - first);
        for (int v = 0; v < vocab; v++) {
          worst = Math.max(worst, Math.abs(logits[t * vocab + v] - row.get(v).asDouble()));
        }
      }
      assertTrue(worst < 1e-4, dir.getFileName() + ": max |java - pytorch| = " + worst);
      long[] greedy = ReferenceParity.longs(expected.get("greedy"));
      Sample s = policy.generate(List.of(ReferenceParity.longs(expected.get("prompt"))),
          new SamplingConfig(0, 1, 0, greedy.length, false), 0).get(0);
      assertArrayEquals(greedy, s.responseIds(), dir.getFileName() + ": greedy continuation");
    }
  }
}
