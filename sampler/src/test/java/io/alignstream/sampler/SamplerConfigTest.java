package io.alignstream.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alignstream.model.SamplingConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SamplerConfigTest {
  private final SamplerConfig defaults = SamplerConfig.defaults("r1").withSamplerId("s-0");

  private static String rejects(Runnable build) {
    return assertThrows(IllegalArgumentException.class, build::run).getMessage();
  }

  @Test
  void defaultsFollowAfdScaledDown() {
    assertEquals("policy", defaults.policyName());
    assertEquals(4, defaults.samplesPerPrompt());
    assertEquals(8, defaults.promptsPerBatch());
    assertEquals(new SamplingConfig(1.0, 0.95, 0, 32, true), defaults.sampling());
    assertEquals(64, defaults.maxPromptsPerVersion());
    assertEquals(Duration.ofMinutes(5), defaults.weightsTimeout());
    assertEquals(32, defaults.rowsPerBatch());
  }

  @Test
  void namesItsGroupAndTransactionalIdFromRunLineAndReplica() {
    assertEquals("alignstream.r1.sampler.policy", defaults.groupId());
    assertEquals("alignstream.r1.sampler.policy.s-0", defaults.transactionalId());
    assertEquals("alignstream.r1.sampler.base", defaults.withPolicyName("base").groupId());
    assertEquals("alignstream.r1.prompts", defaults.topics().prompts.name());
  }

  @Test
  void fixedLinesAreNotPacedByDefault() {
    assertFalse(defaults.withPolicyName("base").paced());
    assertTrue(defaults.withPolicyName("policy").paced());
    assertEquals(0, SamplerConfig.defaultMaxPromptsPerVersion("sft"));
  }

  @Test
  void defaultSamplerIdIsValidAndNamesThisProcess() {
    String id = SamplerConfig.defaultSamplerId();
    assertTrue(id.endsWith("-" + ProcessHandle.current().pid()), id);
    SamplerConfig.defaults("r1"); // accepted by the validation
  }

  @Test
  void rejectsBadValuesNamingTheOption() {
    assertTrue(rejects(() -> defaults.withSamplesPerPrompt(0)).contains("--samples-per-prompt"));
    assertTrue(rejects(() -> defaults.withPromptsPerBatch(0)).contains("--prompts-per-batch"));
    assertTrue(rejects(() -> defaults.withMaxPromptsPerVersion(-1)).contains("--max-prompts-per-version"));
    assertTrue(rejects(() -> defaults.withWeightsTimeout(Duration.ZERO)).contains("--weights-timeout"));
    assertTrue(rejects(() -> defaults.withSamplerId("has space")).contains("--sampler-id"));
    assertTrue(rejects(() -> defaults.withSamplerId("")).contains("--sampler-id"));
    assertTrue(rejects(() -> defaults.withPolicyName("a/b")).contains("--policy-name"));
    assertTrue(rejects(() -> defaults.withPromptsPerBatch(2000).withSamplesPerPrompt(4)).contains("rows"));
    assertTrue(rejects(() -> SamplerConfig.defaults("bad run!")).contains("run id"));
    assertTrue(rejects(() -> defaults.withSamplesPerPrompt(1).withIncludeGreedy(true)).contains("--include-greedy"));
  }
}
