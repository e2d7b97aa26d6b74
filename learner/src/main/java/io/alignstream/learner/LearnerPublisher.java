package io.alignstream.learner;

import io.alignstream.model.Policy;
import io.alignstream.runtime.CommittedRecords;
import io.alignstream.runtime.PublishedWeights;
import io.alignstream.runtime.Transactions;
import io.alignstream.runtime.WeightPublisher;
import io.alignstream.schemas.ModelLines;
import io.alignstream.schemas.Prompt;
import io.alignstream.schemas.SampleKind;
import io.alignstream.schemas.ScoredSample;
import io.alignstream.schemas.Topics;
import io.alignstream.schemas.TrainingBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The learner's half of exactly-once: every version goes out in one producer transaction together
 * with all that depends on it — the policy's and the reward model's weights ({@link RewardLine}), the next round's
 * prompts, the dead letters of the batch records set aside, and the batches offset the version was
 * trained up to (committed for the learner's group, with its record count) — so a reader sees all of
 * it or none of it.
 */
final class LearnerPublisher {
  private final Producer<byte[], byte[]> producer;
  private final Topics topics;
  private final Recipe recipe;
  private final TopicPartition batches;
  private final ConsumerGroupMetadata group;
  private String tokenizerJson;

  LearnerPublisher(Producer<byte[], byte[]> producer, LearnerConfig config, TopicPartition batches) {
    this.producer = producer;
    this.topics = config.topics();
    this.recipe = config.recipe();
    this.batches = batches;
    this.group = new ConsumerGroupMetadata(config.groupId());
  }

  /**
   * Version 1, after SFT: π_0 (with the recipe, for {@code alignstream replay}) and π_SFT on their
   * frozen lines for the samplers of the Init-SFT / SFT-Demo reward-model recipes, π_SFT as the
   * trained policy, and the fresh reward model; the offset stays where SFT found it.
   */
  void publishSft(Learner learner, long offset, long batchesRead) throws IOException {
    Transactions.run(producer, () -> {
      var publisher = new WeightPublisher(producer, topics);
      byte[] sft = adapted(learner) ? learner.policy().adapterToBytes() : learner.policy().weightsToBytes();
      Map<String, String> base = new LinkedHashMap<>(recipe.toMetadata());
      base.put("stage", "base");
      publishModel(publisher, learner, ModelLines.BASE, 0, learner.base(), learner.base().weightsToBytes(), base);
      publishModel(publisher, learner, ModelLines.SFT, 1, learner.policy(), sft, Map.of("stage", "sft"));
      publishModel(publisher, learner, ModelLines.POLICY, 1, learner.policy(), sft,
          progress("sft", offset, batchesRead));
      RewardLine.publish(publisher, learner, 1,
          RewardLine.headsOnly(learner) ? null : learner.reward().weightsToBytes(), tokenizerJson(learner));
      commitOffset(offset, batchesRead);
    });
  }

  /**
   * The learner's current version: its weights taken from {@code checkpoint}, the state just saved
   * (the same bytes as encoding the models again, without paying for it on every update), the next
   * round of every batch trained, the dead letters, and the offset after the batches read.
   */
  void publishUpdate(Learner learner, Path checkpoint, List<TrainingBatch> trained,
      List<ProducerRecord<byte[], byte[]>> deadLetters, long offsetAfter, long batchesRead) throws IOException {
    long v = learner.version();
    byte[] policy = adapted(learner) ? LearnerCheckpoint.policyAdapterBytes(checkpoint)
        : LearnerCheckpoint.policyBytes(checkpoint);
    byte[] reward = RewardLine.headsOnly(learner) ? null : LearnerCheckpoint.rewardBytes(checkpoint);
    Transactions.run(producer, () -> {
      var publisher = new WeightPublisher(producer, topics);
      publishModel(publisher, learner, ModelLines.POLICY, v, learner.policy(), policy,
          progress("loop", offsetAfter, batchesRead));
      RewardLine.publish(publisher, learner, v, reward, tokenizerJson(learner));
      for (TrainingBatch b : trained) {
        nextRound(b).ifPresent(p -> producer.send(topics.prompts.record(p.getPromptId(), p)));
      }
      deadLetters.forEach(producer::send);
      commitOffset(offsetAfter, batchesRead);
    });
  }

  /**
   * Dead letters alone and the offset past them: no update, no new version. The checkpoint keeps
   * its offset; a restarted learner resumes from the committed one when it is further on.
   */
  void setAside(List<ProducerRecord<byte[], byte[]>> deadLetters, long offsetAfter, long batchesRead) {
    Transactions.run(producer, () -> {
      deadLetters.forEach(producer::send);
      commitOffset(offsetAfter, batchesRead);
    });
  }

  private void commitOffset(long offset, long batchesRead) {
    // The learner counts every batch record it read; the set-aside ones are not subtracted.
    producer.sendOffsetsToTransaction(Map.of(batches, new CommittedRecords(batchesRead, 0).at(offset)), group);
  }

  /**
   * What a policy manifest tells the samplers besides the weights: how many batches the learner has
   * consumed (and up to which offset) and how many make an update, so they can bound what they sample
   * ahead of it.
   */
  private Map<String, String> progress(String stage, long batchesOffset, long batchesRead) {
    return Map.of("stage", stage, ModelLines.BATCHES_CONSUMED, Long.toString(batchesRead),
        ModelLines.BATCHES_OFFSET, Long.toString(batchesOffset),
        ModelLines.PROMPTS_PER_UPDATE, Integer.toString(recipe.promptsPerUpdate()));
  }

  /** The prompt of a batch, one round later, unless its rounds are done. */
  private Optional<Prompt> nextRound(TrainingBatch b) {
    if ((recipe.rounds() > 0 && b.getRound() + 1 >= recipe.rounds()) || b.getSamples().isEmpty()) {
      return Optional.empty();
    }
    ScoredSample any = b.getSamples().get(0);
    String demoId = b.getSamples().stream().filter(s -> s.getKind() == SampleKind.DEMONSTRATION)
        .map(ScoredSample::getId).findFirst().orElse(null);
    return Optional.of(Prompt.newBuilder().setPromptId(b.getPromptId()).setText(any.getPrompt())
        .setRound(b.getRound() + 1).setDemonstrationId(demoId).setCreatedAtMs(System.currentTimeMillis()).build());
  }

  /**
   * Publishes {@code weights}, which are {@code model}'s {@code weightsToBytes()}, with its config; for a
   * policy that trains a LoRA adapter, its {@code adapterToBytes()} instead, over π_0 on the base line.
   */
  private void publishModel(WeightPublisher publisher, Learner learner, String line, long v, Policy model,
      byte[] weights, Map<String, String> meta) throws IOException {
    if (model != learner.base() && adapted(learner)) {
      Map<String, String> withAdapter = new LinkedHashMap<>(meta);
      withAdapter.put(PublishedWeights.ADAPTER_CONFIG, model.adapterConfigJson());
      withAdapter.put(PublishedWeights.ADAPTER_BASE, ModelLines.BASE);
      publisher.publish(line, v, PublishedWeights.ADAPTER, weights, model.config().toJson(), tokenizerJson(learner),
          learner.trainedSamples(), withAdapter);
      return;
    }
    publisher.publish(line, v, weights, model.config().toJson(), tokenizerJson(learner), learner.trainedSamples(),
        meta);
  }

  /** Whether the policy trains a LoRA adapter, so that only the adapter is published. */
  private static boolean adapted(Learner learner) {
    return learner.recipe().lora().enabled();
  }

  private String tokenizerJson(Learner learner) throws IOException {
    if (tokenizerJson == null) {
      tokenizerJson = learner.tokenizer().toJson();
    }
    return tokenizerJson;
  }
}
