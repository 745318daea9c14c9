r"""A language-modelling task whose best achievable loss is known exactly.

Tokens come from a random Markov chain of order :math:`k` over a vocabulary of
:math:`V` symbols: the next token depends on the last :math:`k` ones only, through a
table :math:`P(x_{t+1} \mid x_{t-k+1}, \dots, x_t)` whose rows are drawn from a
Dirichlet distribution (a small concentration makes them peaked, so there is something
to learn). A sequence starts in the chain's stationary distribution :math:`\pi` over
contexts, so every position of every sequence is distributed alike, and no predictor of
the next token, however large, has an expected cross-entropy below the chain's
*entropy rate*

.. math::

    H = -\sum_{c} \pi(c) \sum_{x} P(x \mid c) \log P(x \mid c)

(in nats), reached by the chain's own table. A model's loss minus :math:`H` is its
*excess loss*: how far it is from the best possible, on any machine, without a
reference run. :class:`MarkovChain` computes :math:`\pi` and :math:`H` exactly and
draws sequences; :func:`random_chain` draws a chain; :func:`markov_splits` draws the
training, validation and test sequences; :class:`TinyTransformer` is the small
causal transformer trained on them, and :func:`next_token_loss` its loss, which skips
the first :math:`k - 1` positions (their context is incomplete, and their best loss is
higher than :math:`H`).
"""

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
from torch import nn

from optnotes.lab.data import Data
from optnotes.lab.device import best_device
from optnotes.lab.seeding import numpy_rng, resolve_seed


@dataclass(frozen=True, eq=False)
class MarkovChain:
    r"""A Markov chain of order ``order`` over ``vocab`` tokens.

    Parameters
    ----------
    transition : numpy.ndarray
        Shape ``(vocab ** order, vocab)``: row ``c`` is the distribution of the next
        token after the context whose tokens, read as digits in base ``vocab`` (oldest
        first), make the number ``c``. Rows sum to 1.
    order : int
        How many previous tokens the next one depends on.
    """

    transition: np.ndarray
    order: int = 1

    def __post_init__(self) -> None:
        transition = np.asarray(self.transition, dtype=np.float64)
        n_contexts, vocab = transition.shape
        if self.order < 1 or n_contexts != vocab**self.order:
            raise ValueError(
                f"a chain of order {self.order} over {vocab} tokens needs {vocab**self.order} "
                f"rows, not {n_contexts}"
            )
        if (transition < 0).any() or not np.allclose(transition.sum(axis=1), 1.0):
            raise ValueError("every row of the transition table must be a distribution")
        object.__setattr__(self, "transition", transition)

    @property
    def vocab(self) -> int:
        """Number of tokens."""
        return self.transition.shape[1]

    def next_context(self, context: np.ndarray, token: np.ndarray) -> np.ndarray:
        """Return the context after ``token`` follows ``context`` (both arrays of indices)."""
        return (context * self.vocab) % (self.vocab**self.order) + token

    @cached_property
    def stationary(self) -> np.ndarray:
        r"""The stationary distribution :math:`\pi` over contexts, shape ``(vocab ** order,)``.

        Solved exactly: :math:`\pi` is the left eigenvector of eigenvalue 1 of the chain
        on contexts, found as the least-squares solution of :math:`\pi (Q - I) = 0`,
        :math:`\sum \pi = 1`.
        """
        n = self.vocab**self.order
        contexts = np.repeat(np.arange(n), self.vocab)
        tokens = np.tile(np.arange(self.vocab), n)
        moves = np.zeros((n, n))
        np.add.at(moves, (contexts, self.next_context(contexts, tokens)), self.transition.ravel())
        system = np.vstack([(moves - np.eye(n)).T, np.ones(n)])
        target = np.zeros(n + 1)
        target[-1] = 1.0
        pi = np.linalg.lstsq(system, target, rcond=None)[0]
        pi = np.clip(pi, 0.0, None)
        return pi / pi.sum()

    @cached_property
    def entropy_rate(self) -> float:
        r"""The entropy rate :math:`H` in nats: the lowest expected next-token loss."""
        p = self.transition
        logs = np.log(np.where(p > 0, p, 1.0))
        return float(-(self.stationary * (p * logs).sum(axis=1)).sum())

    def conditional_entropy(self, k: int) -> float:
        r"""Return the entropy of the next token given only the last ``k`` tokens, in nats.

        The best expected loss of a predictor that sees ``k`` tokens of context:
        ``k = 0`` is the entropy of the stationary token frequencies (a unigram model),
        ``k = order`` (or more) the entropy rate. It never increases with ``k``.

        Parameters
        ----------
        k : int
            Tokens of context, from 0.

        Returns
        -------
        float
            :math:`H(X_{t+1} \mid X_{t-k+1}, \dots, X_t)` under the stationary distribution.
        """
        if k < 0:
            raise ValueError("k must be at least 0")
        if k >= self.order:
            return self.entropy_rate
        joint = self.stationary[:, None] * self.transition  # P(context, next)
        seen = np.arange(len(joint)) % self.vocab**k  # the context's last k tokens
        marginal = np.zeros((self.vocab**k, self.vocab))
        np.add.at(marginal, seen, joint)
        conditional = marginal / marginal.sum(axis=1, keepdims=True)
        logs = np.log(np.where(conditional > 0, conditional, 1.0))
        return float(-(marginal * logs).sum())

    def sample(self, n_sequences: int, length: int, *, seed: int = 0) -> np.ndarray:
        """Draw sequences whose first ``order`` tokens come from the stationary distribution.

        Parameters
        ----------
        n_sequences, length : int
            How many sequences, and how many tokens each (at least ``order``).
        seed : int
            Seed of the draw (``OPTNOTES_SEED`` is added, see :mod:`optnotes.lab.seeding`).

        Returns
        -------
        numpy.ndarray
            Integer tokens, shape ``(n_sequences, length)``.
        """
        if length < self.order:
            raise ValueError(f"sequences need at least {self.order} tokens")
        rng = numpy_rng(seed)
        context = rng.choice(self.vocab**self.order, size=n_sequences, p=self.stationary)
        tokens = np.empty((n_sequences, length), dtype=np.int64)
        for i in range(self.order):  # the context's digits, oldest first
            tokens[:, i] = context // self.vocab ** (self.order - 1 - i) % self.vocab
        cumulative = np.cumsum(self.transition, axis=1)
        for t in range(self.order, length):
            u = rng.random(n_sequences)[:, None]
            token = np.minimum((u > cumulative[context]).sum(axis=1), self.vocab - 1)
            tokens[:, t] = token
            context = self.next_context(context, token)
        return tokens

    def log_loss(self, tokens: np.ndarray) -> float:
        r"""Return the chain's own mean next-token loss on sequences, over the positions scored.

        The positions are those :func:`next_token_loss` scores: every token from index
        ``order`` on. Its expectation is :attr:`entropy_rate`; on a finite sample it
        differs from it by sampling noise.

        Parameters
        ----------
        tokens : numpy.ndarray
            Integer tokens, shape ``(n_sequences, length)``.

        Returns
        -------
        float
            Mean of :math:`-\log P(x_{t+1} \mid \text{context})`, in nats.
        """
        tokens = np.asarray(tokens)
        context = np.zeros(len(tokens), dtype=np.int64)
        for i in range(self.order):
            context = self.next_context(context, tokens[:, i])
        total = 0.0
        for t in range(self.order, tokens.shape[1]):
            total -= np.log(self.transition[context, tokens[:, t]]).sum()
            context = self.next_context(context, tokens[:, t])
        return float(total / (len(tokens) * (tokens.shape[1] - self.order)))


def random_chain(
    vocab: int = 8, *, order: int = 2, concentration: float = 0.3, seed: int = 0
) -> MarkovChain:
    """Draw a Markov chain: each row of its table from a symmetric Dirichlet distribution.

    Parameters
    ----------
    vocab : int
        Number of tokens.
    order : int
        How many previous tokens the next one depends on.
    concentration : float
        The Dirichlet parameter: below 1 the rows are peaked (a few likely successors),
        at 1 uniform over the simplex, above 1 close to uniform.
    seed : int
        Seed of the draw (``OPTNOTES_SEED`` is added, see :mod:`optnotes.lab.seeding`).

    Returns
    -------
    MarkovChain
        Its rows are strictly positive with probability one, so it is ergodic.
    """
    rng = numpy_rng(seed)
    table = rng.dirichlet(np.full(vocab, concentration), size=vocab**order)
    table = np.maximum(table, 1e-12)  # no exact zeros: every context is reachable
    return MarkovChain(table / table.sum(axis=1, keepdims=True), order)


def markov_splits(
    chain: MarkovChain,
    *,
    n_train: int = 2048,
    n_validation: int = 512,
    n_test: int = 512,
    context: int = 16,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[Data, Data, Data]:
    """Draw training, validation and test sequences for next-token prediction.

    Each sequence has ``context + 1`` tokens: the inputs are its first ``context``, the
    targets its last ``context`` (the inputs shifted by one).

    Parameters
    ----------
    chain : optnotes.lab.markov.MarkovChain
        The source.
    n_train, n_validation, n_test : int
        Number of sequences in each split.
    context : int
        Length of the model's input.
    seed : int
        Seed of the draw (the three splits use ``seed``, ``seed + 1`` and ``seed + 2``).
    device : torch.device or str, optional
        Where to put the tensors; defaults to ``best_device()``.

    Returns
    -------
    tuple of Data
        ``(train, validation, test)``, inputs and targets of shape ``(n, context)`` as
        ``torch.long``.
    """
    device = best_device() if device is None else torch.device(device)
    splits = []
    for offset, n in enumerate((n_train, n_validation, n_test)):
        tokens = torch.as_tensor(chain.sample(n, context + 1, seed=seed + offset), device=device)
        splits.append(Data(x=tokens[:, :-1], y=tokens[:, 1:]))
    return tuple(splits)  # type: ignore[return-value]


def next_token_loss(logits: torch.Tensor, targets: torch.Tensor, *, order: int) -> torch.Tensor:
    """Mean cross-entropy of the next-token predictions whose context is complete.

    Position ``t`` of the input predicts target ``t``, the token at ``t + 1``; it has
    seen ``t + 1`` tokens, so the positions ``t < order - 1`` are skipped.

    Parameters
    ----------
    logits : torch.Tensor
        Shape ``(batch, context, vocab)``.
    targets : torch.Tensor
        Shape ``(batch, context)``, token indices.
    order : int
        The chain's order.

    Returns
    -------
    torch.Tensor
        A scalar, in nats.
    """
    skip = order - 1
    return nn.functional.cross_entropy(
        logits[:, skip:].reshape(-1, logits.shape[-1]), targets[:, skip:].reshape(-1)
    )


class TinyTransformer(nn.Module):
    """A small causal transformer language model (pre-norm, learned positions).

    Token and position embeddings, ``layers`` pre-norm blocks of
    :class:`torch.nn.TransformerEncoderLayer` (GELU, no dropout) under a causal mask,
    a final layer norm and a linear read-out to the vocabulary.

    Parameters
    ----------
    vocab : int
        Number of tokens.
    context : int
        Longest input.
    width : int
        Model width ``d``.
    heads : int
        Attention heads (``width`` must be a multiple).
    layers : int
        Number of blocks.
    seed : int
        Seed of the initial weights (``OPTNOTES_SEED`` is added, see
        :mod:`optnotes.lab.seeding`); the global random state is left untouched.
    """

    def __init__(
        self,
        vocab: int,
        context: int = 16,
        *,
        width: int = 32,
        heads: int = 2,
        layers: int = 2,
        seed: int = 0,
    ) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(resolve_seed(seed))
            self.embed = nn.Embedding(vocab, width)
            self.position = nn.Embedding(context, width)
            block = nn.TransformerEncoderLayer(
                width,
                heads,
                dim_feedforward=2 * width,
                dropout=0.0,
                activation="gelu",
                batch_first=True,
                norm_first=True,
            )
            self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(width)
            self.head = nn.Linear(width, vocab)
            for embedding in (self.embed, self.position):
                nn.init.normal_(embedding.weight, std=width**-0.5)
        self.register_buffer(
            "mask", nn.Transformer.generate_square_subsequent_mask(context), persistent=False
        )

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Map tokens of shape ``(batch, time)`` to logits of shape ``(batch, time, vocab)``."""
        time = tokens.shape[1]
        positions = torch.arange(time, device=tokens.device)
        hidden = self.embed(tokens) + self.position(positions)
        hidden = self.blocks(hidden, mask=self.mask[:time, :time], is_causal=True)
        return self.head(self.norm(hidden))

    def hidden_matrices(self) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """Split the parameters into the blocks' weight matrices and the rest.

        Returns
        -------
        tuple of list
            ``(matrices, rest)``: the 2-D weights inside the blocks (attention
            projections and the feed-forward layers), which Muon may train; and the
            embeddings, the read-out, biases and norm gains.
        """
        matrices = [p for p in self.blocks.parameters() if p.ndim == 2]
        chosen = {id(p) for p in matrices}
        return matrices, [p for p in self.parameters() if id(p) not in chosen]


def perplexity_floor(chain: MarkovChain) -> float:
    """Return the lowest expected perplexity, :math:`e^H`, the effective choices per token."""
    return math.exp(chain.entropy_rate)
