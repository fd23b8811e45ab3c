"""What a build reports: the state of each figure the article shows, and of each atlas. Kept with
the site's record (site_record.py), so a build that has nothing to do reports what the last one did."""

from dataclasses import astuple, dataclass

from mechanics.site.figure_cache import FigureStatus


@dataclass(frozen=True)
class FigureState:
    name: str
    number: int
    status: FigureStatus  # never CORRUPT: a corrupt figure fails the build
    message: str = ""


@dataclass(frozen=True)
class AtlasState:
    name: str
    status: FigureStatus
    progress: str  # atlas_progress(), for an atlas that is not fresh


@dataclass(frozen=True)
class BuildReport:
    figures: list  # FigureState of each embedded figure, in order
    atlases: list  # AtlasState of each atlas figure

    @property
    def outdated(self):
        return [f for f in self.figures if f.status != FigureStatus.FRESH]

    @property
    def outdated_atlases(self):
        return [a for a in self.atlases if a.status != FigureStatus.FRESH]

    def to_json(self):
        return {"figures": [astuple(f) for f in self.figures], "atlases": [astuple(a) for a in self.atlases]}

    @classmethod
    def from_json(cls, data):
        return cls([FigureState(name, number, FigureStatus(status), message) for name, number, status, message in data["figures"]],
                   [AtlasState(name, FigureStatus(status), progress) for name, status, progress in data["atlases"]])
