/** The model core: a policy and a discriminator reward model over any supported decoder family (one package per family behind {@link io.alignstream.model.ModelConfig} and {@link io.alignstream.model.Network}), batched KV-cache generation with behaviour log-probs, the alignment objectives, AdamW and bit-exact checkpoints, in DJL. */
package io.alignstream.model;
