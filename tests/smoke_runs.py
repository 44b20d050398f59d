"""Smoke-profile run configurations on synthetic data, shared by the method tests."""

from gcnprune.experiments import RunConfig, make_config


def smoke(method: str, rate: float, method_config: dict | None = None, fold: int = 0) -> RunConfig:
    return make_config("synthetic", "smoke", fold, method, rate, method_config=method_config)


def record_training(monkeypatch) -> list[tuple[str, float]]:
    """Patch the runner so that every run actually trained appends (method, rate) to the returned list."""
    from gcnprune.experiments import runner

    calls: list[tuple[str, float]] = []
    real = runner._train

    def counting(config, *args, **kwargs):
        out = real(config, *args, **kwargs)
        calls.append((config.method, config.rate))
        return out

    monkeypatch.setattr(runner, "_train", counting)
    return calls
