"""What the book's chapters share, apart from the torch-only core.

Installed with the extra ``optnotes[lab]`` (matplotlib, scikit-learn, tqdm, IPython,
pandas); ``optnotes.optim``, ``optnotes.lr_scheduler``, ``optnotes.clip`` and
``optnotes.grading`` need none of it.

==========================  ==============================================================
``device``                  ``best_device()`` (CUDA, then MPS, then CPU) and ``describe_device``
``seeding``                 the one seed source: every draw honours ``OPTNOTES_SEED``
``data``, ``models``        the digits, synthetic regression, the adding problem; MLP and RNN
``problems``                two-dimensional test functions and trajectories on them
``training``                ``fit`` and its ``History``
``lr_range``                the learning-rate range test (Smith 2017) and its suggestions
``branching``               cool-downs branched from one long run (warmup–stable–decay)
``ensembles``               snapshot ensembles: averaging the predictions of saved models
``averaging``               Polyak–Ruppert, SWA and EMA averages of the weights, exact and trained
``hybrid``                  several optimizers stepped as one (Muon and AdamW)
``schedule_free``           Schedule-Free runs: exact moments, batch-norm recalibration, digits
``markov``, ``workloads``   the head-to-head: a task with a known best loss, its workloads
``tuning``                  the head-to-head's tuning protocol and optimizer registry
``experiments``             the runs chapters share: parity, digits training, seed statistics
``noisy_quadratic``          the noisy quadratic model, where schedules provably matter
``plotting``, ``display``   figures, source listings, numbers glued into the prose
``interactive``             figures with sliders that work on the static site
``tables``                  results over seeds as tables
==========================  ==============================================================
"""
