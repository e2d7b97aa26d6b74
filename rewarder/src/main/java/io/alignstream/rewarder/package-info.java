/** The rewarder service: scores every demonstration and generation with the reward-model ensemble, exactly once. */
package io.alignstream.rewarder;
