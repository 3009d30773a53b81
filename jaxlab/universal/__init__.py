"""Classical universal predictors: the baselines and limits of the
"Transformers are universal predictors" experiments.

They live in their own package because they are neither models (nothing is
trained by gradient) nor objectives: each is a sequential probability
assignment that reads a sequence once and returns its per-position log-loss
``loss_BxT`` (nats), computed on the same test sequences as the Transformer.

- `kt`: order-k Krichevsky-Trofimov (add-1/2, or add-alpha) counting;
- `ctw`: context tree weighting of depth D (Willems, Shtarkov, Tjalkens 1995);
- `compress`: off-the-shelf compressors' rates (gzip, bz2, lzma) for bytes.
"""
