/** The model core: a GPT-2-architecture policy and discriminator reward model in DJL, batched KV-cache generation with behaviour log-probs, the alignment objectives, AdamW and bit-exact checkpoints. */
package io.alignstream.model;
