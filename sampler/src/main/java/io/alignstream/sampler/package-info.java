/** The sampler service: answers prompts K times with the current policy, with behaviour log-probs, exactly once. */
package io.alignstream.sampler;
