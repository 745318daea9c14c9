import math

import numpy as np
import pytest
import torch

from optnotes.lab.markov import (
    MarkovChain,
    TinyTransformer,
    markov_splits,
    next_token_loss,
    perplexity_floor,
    random_chain,
)


def test_iid_chain_has_the_entropy_of_its_row():
    p = np.array([0.5, 0.25, 0.25])
    chain = MarkovChain(np.tile(p, (3, 1)), order=1)
    np.testing.assert_allclose(chain.stationary, p, atol=1e-12)
    assert chain.entropy_rate == pytest.approx(-(p * np.log(p)).sum(), abs=1e-12)
    assert perplexity_floor(chain) == pytest.approx(math.exp(chain.entropy_rate))


@pytest.mark.parametrize("order", [1, 2])
def test_stationary_distribution_is_invariant(order):
    chain = random_chain(4, order=order, concentration=0.5, seed=3)
    pi = chain.stationary
    n = 4**order
    after = np.zeros(n)
    for context in range(n):
        for token in range(4):
            after[chain.next_context(np.array(context), np.array(token))] += (
                pi[context] * chain.transition[context, token]
            )
    np.testing.assert_allclose(after, pi, atol=1e-12)
    assert pi.sum() == pytest.approx(1.0)


def test_samples_have_the_entropy_rate_as_mean_loss():
    chain = random_chain(5, order=2, concentration=0.3, seed=1)
    tokens = chain.sample(3000, 12, seed=0)
    assert tokens.shape == (3000, 12)
    assert tokens.min() >= 0
    assert tokens.max() < 5
    assert chain.log_loss(tokens) == pytest.approx(chain.entropy_rate, abs=0.02)
    assert np.array_equal(tokens, chain.sample(3000, 12, seed=0))  # seeded


def test_invalid_tables_are_refused():
    with pytest.raises(ValueError, match="rows"):
        MarkovChain(np.full((3, 3), 1 / 3), order=2)
    with pytest.raises(ValueError, match="distribution"):
        MarkovChain(np.full((2, 2), 0.4), order=1)
    with pytest.raises(ValueError, match="at least"):
        random_chain(3, order=2).sample(2, 1)


def test_splits_shift_targets_by_one():
    chain = random_chain(4, order=2, seed=0)
    train, validation, test = markov_splits(
        chain, n_train=8, n_validation=4, n_test=4, context=6, device="cpu"
    )
    assert train.x.shape == (8, 6)
    assert validation.y.shape == (4, 6)
    assert torch.equal(train.x[:, 1:], train.y[:, :-1])
    assert not torch.equal(validation.x, test.x)


def test_loss_skips_incomplete_contexts():
    logits = torch.zeros(2, 5, 3)
    logits[:, 0] = torch.tensor([-50.0, 50.0, 0.0])  # position 0: a confident wrong guess
    targets = torch.zeros(2, 5, dtype=torch.long)
    assert next_token_loss(logits, targets, order=2).item() == pytest.approx(math.log(3))
    assert next_token_loss(logits, targets, order=1).item() > 10


def test_transformer_is_causal_and_splits_its_parameters():
    model = TinyTransformer(6, 8, width=16, heads=2, layers=2, seed=0)
    tokens = torch.randint(6, (3, 8), generator=torch.Generator().manual_seed(0))
    changed = tokens.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % 6
    model.eval()
    a, b = model(tokens), model(changed)
    assert a.shape == (3, 8, 6)
    torch.testing.assert_close(a[:, :5], b[:, :5])
    assert not torch.allclose(a[:, 5:], b[:, 5:])
    matrices, rest = model.hidden_matrices()
    assert all(p.ndim == 2 for p in matrices)
    assert len(matrices) == 8
    assert {id(p) for p in matrices}.isdisjoint(id(p) for p in rest)
    assert len(matrices) + len(rest) == len(list(model.parameters()))
    assert model.embed.weight in [p for p in rest]
    again = TinyTransformer(6, 8, width=16, heads=2, layers=2, seed=0)
    assert all(
        torch.equal(p, q) for p, q in zip(model.parameters(), again.parameters(), strict=False)
    )


def test_conditional_entropy_falls_with_context_to_the_entropy_rate():
    chain = random_chain(4, order=2, concentration=0.3, seed=2)
    h = [chain.conditional_entropy(k) for k in range(4)]
    pi_tokens = np.zeros(4)
    np.add.at(pi_tokens, np.arange(16) % 4, chain.stationary)
    assert h[0] == pytest.approx(-(pi_tokens * np.log(pi_tokens)).sum(), abs=1e-12)
    assert h[0] >= h[1] >= h[2] == h[3] == chain.entropy_rate
    tokens = chain.sample(4000, 6, seed=1)
    assert chain.log_loss(tokens) < h[1] - 0.05
    with pytest.raises(ValueError, match="k must"):
        chain.conditional_entropy(-1)
