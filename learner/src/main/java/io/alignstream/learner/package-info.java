/**
 * The learner: consumes scored batches, updates the discriminator reward model and the policy per a
 * recipe, checkpoints with its input offsets, and publishes new weights through Kafka.
 */
package io.alignstream.learner;
