package io.alignstream.rewarder;

import io.alignstream.model.NativeArrays;
import io.alignstream.runtime.ReplicaOptions;
import io.alignstream.runtime.ServiceCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code alignstream rewarder}: runs one rewarder replica until Ctrl-C. Only wiring: the work is in {@link RewarderService}. */
@Command(name = "rewarder",
    description = {
        "Scores every demonstration and generation of the run with the reward-model ensemble (the AfD discriminator: "
            + "reward = logit f = log D - log(1 - D)) and publishes each with every member's reward, their mean and "
            + "spread and the ensemble version to the scored topic, exactly once (Kafka transactions).",
        "",
        "Replicas share the work: start more processes with the same --run. Each micro-batch of up to --max-batch "
            + "records is scored by one ensemble version.",
        "",
        "Waits for the first 'reward' weights from the learner and hot-swaps every new version; a version the model "
            + "refuses is rejected and scoring goes on with the old one. Records that do not decode or do not fit the "
            + "model's context are logged, counted and dead-lettered with the reason (demos.dead-letter).",
        "",
        "Scores on the GPU when PyTorch sees one (CUDA build: mvn -Pcuda), else on the CPU; --device forces either."})
public final class RewarderCommand extends ServiceCommand {
  @Option(names = "--rewarder-id", paramLabel = "ID", description = ReplicaOptions.ID_HELP)
  private String rewarderId;

  @Mixin
  private ReplicaOptions replica = new ReplicaOptions();

  @Option(names = "--max-batch", paramLabel = "N", defaultValue = "" + RewarderConfig.DEFAULT_MAX_BATCH,
      description = "Most records scored together (one micro-batch, one version, one transaction). Default: ${DEFAULT-VALUE}.")
  private int maxBatch;

  @Option(names = "--device", paramLabel = "auto|cpu|gpu", defaultValue = "auto", converter = DeviceConverter.class,
      description = "Where to score, as above; gpu fails without one. Default: ${DEFAULT-VALUE}.")
  private ScoringDevice device;

  /** The validated configuration these options describe. */
  RewarderConfig config() {
    return new RewarderConfig(kafka.runId(), rewarderId != null ? rewarderId : RewarderConfig.defaultRewarderId(),
        maxBatch, replica.weightsTimeout(), device);
  }

  @Override
  protected Plan plan() {
    RewarderConfig config = config();
    return new Plan("rewarder", config.rewarderId(), NativeArrays::liveInProcess,
        session -> new RewarderService(config, session.connection()));
  }

  static final class DeviceConverter implements ITypeConverter<ScoringDevice> {
    @Override
    public ScoringDevice convert(String value) {
      return ScoringDevice.parse(value);
    }
  }
}
