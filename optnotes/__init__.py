"""optnotes: readable, tested re-implementations of PyTorch's optimizers.

The package behind the *optnotes* book. Its core needs torch alone:

==========================  =================================================================
``optnotes.optim``          drop-in ``torch.optim`` optimizers, one module per algorithm: its
                            per-tensor update ``<name>_step_``, its multi-tensor twin
                            ``<name>_foreach_``, the functional call and the class
                            (plumbing shared by all in ``optim/_base.py``)
``optnotes.lr_scheduler``   drop-in schedulers (recursive where torch is), pure schedules
                            (``step -> factor`` factories and ``join``) in ``schedules/``
``optnotes.clip``           ``clip_grad_norm_``, ``clip_grad_value_``, ``grad_norm``
``optnotes.grading``        the assignment checker: one module per check, around ``compare``
``optnotes.lab``            what the chapters share (extra ``optnotes[lab]``): devices, seeds,
                            data, models, training loop, experiments, plots, display
==========================  =================================================================
"""

__version__ = "0.1.0"
