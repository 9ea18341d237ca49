"""Where things live in a study directory (shared by the executors that write trials'
folders and the commands that read them)."""

from __future__ import annotations

from pathlib import Path

TRIALS_DIR = "trials"  # <study>/trials/<id>/: a trial's working folder
STDOUT, STDERR = "stdout.log", "stderr.log"  # what its process printed


def trial_dir(study_dir: str | Path, trial: int) -> Path:
    return Path(study_dir) / TRIALS_DIR / str(trial)


def trial_log_files(study_dir: str | Path, trial: int) -> list[tuple[str, Path]]:
    """("stdout", path) and ("stderr", path) of a trial that has a folder, else []."""
    folder = trial_dir(study_dir, trial)
    if not folder.is_dir():
        return []
    return [("stdout", folder / STDOUT), ("stderr", folder / STDERR)]


def trial_ids_on_disk(study_dir: str | Path) -> list[int]:
    """Ids of the trials that have a folder, in order."""
    root = Path(study_dir) / TRIALS_DIR
    if not root.is_dir():
        return []
    return sorted(int(p.name) for p in root.iterdir() if p.name.isdigit())


def fresh_trial_dir(study_dir: str | Path, trial: int) -> Path:
    """The trial's folder, created empty: an earlier attempt's folder (a resumed study's)
    is kept aside as `<id>.attempt-N`."""
    trials = Path(study_dir) / TRIALS_DIR
    path = trials / str(trial)
    if path.exists():
        attempt = 1
        while (trials / f"{trial}.attempt-{attempt}").exists():
            attempt += 1
        path.rename(trials / f"{trial}.attempt-{attempt}")
    path.mkdir(parents=True)
    return path


def earlier_attempt_dir(study_dir: str | Path, trial: int) -> Path | None:
    """The folder of the trial's latest earlier attempt (`<id>.attempt-N`, the largest N),
    if one was kept aside."""
    trials = Path(study_dir) / TRIALS_DIR
    attempts = [int(p.name.rsplit("-", 1)[1]) for p in trials.glob(f"{trial}.attempt-*")
                if p.name.rsplit("-", 1)[1].isdigit()]
    return trials / f"{trial}.attempt-{max(attempts)}" if attempts else None
