package io.alignstream.rewarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RewarderConfigTest {
  private final RewarderConfig defaults = RewarderConfig.defaults("r1").withRewarderId("rw-0");

  private static String rejects(Runnable build) {
    return assertThrows(RuntimeException.class, build::run).getMessage();
  }

  @Test
  void defaults() {
    assertEquals(64, defaults.maxBatch());
    assertEquals(Duration.ofMinutes(5), defaults.weightsTimeout());
    assertEquals(ScoringDevice.AUTO, defaults.device());
  }

  @Test
  void oneGroupPerRunAndOneTransactionalIdPerReplica() {
    assertEquals("alignstream.r1.rewarder", defaults.groupId());
    assertEquals("alignstream.r1.rewarder.rw-0", defaults.transactionalId());
    assertEquals("alignstream.r1.scored", defaults.topics().scored.name());
  }

  @Test
  void defaultRewarderIdIsValidAndNamesThisProcess() {
    String id = RewarderConfig.defaultRewarderId();
    assertTrue(id.endsWith("-" + ProcessHandle.current().pid()), id);
    RewarderConfig.defaults("r1"); // accepted by the validation
  }

  @Test
  void rejectsBadValuesNamingTheOption() {
    assertTrue(rejects(() -> defaults.withMaxBatch(0)).contains("--max-batch"));
    assertTrue(rejects(() -> defaults.withMaxBatch(RewarderConfig.MAX_BATCH + 1)).contains("--max-batch"));
    assertTrue(rejects(() -> defaults.withWeightsTimeout(Duration.ZERO)).contains("--weights-timeout"));
    assertTrue(rejects(() -> defaults.withWeightsTimeout(Duration.ofSeconds(-1))).contains("--weights-timeout"));
    assertTrue(rejects(() -> defaults.withRewarderId("has space")).contains("--rewarder-id"));
    assertTrue(rejects(() -> defaults.withRewarderId("")).contains("--rewarder-id"));
    assertTrue(rejects(() -> defaults.withDevice(null)).contains("--device"));
    assertTrue(rejects(() -> RewarderConfig.defaults("bad run!")).contains("run id"));
  }
}
