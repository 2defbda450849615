"""The network's size is known before it is built: the count agrees with the weights a built one has."""

import pytest

from agent.policy import ActorCritic, NetworkConfig, count_weights, parameter_count


@pytest.mark.parametrize("shape, network", [
    ((4, 48, 96), NetworkConfig()),
    ((2, 16, 32), NetworkConfig(channels=(4,), kernel_sizes=(4,), strides=(2,), hidden=8)),
    ((3, 21, 40), NetworkConfig(channels=(5, 6, 7), kernel_sizes=(3, 3, 2), strides=(1, 2, 2), hidden=9)),
])
def test_the_computed_count_is_the_built_networks(shape, network):
    assert parameter_count(shape, network) == count_weights(ActorCritic(shape, network).params())


def test_a_network_whose_convolutions_leave_nothing_has_no_count():
    assert parameter_count((1, 8, 8), NetworkConfig(channels=(4,), kernel_sizes=(16,), strides=(1,))) == -1


def test_the_default_network_by_hand():
    # conv 16 of 4x8x8 + 16, conv 32 of 16x4x4 + 32 on 11x23 -> 4x10, dense 1280 -> 256, heads 18 + 1
    by_hand = (16 * 4 * 64 + 16) + (32 * 16 * 16 + 32) + (32 * 4 * 10 * 256 + 256) + (256 * 18 + 18) + (256 + 1)
    assert parameter_count((4, 48, 96), NetworkConfig()) == by_hand
