"""One build of the site: article + templates + figure assets -> _site/, swapped in atomically.

A build whose inputs are all as they were when the site in place was built, with that site as
the build left it, has nothing to do: it keeps the site and reports what that build did, having
loaded no template, Markdown or bibliography (see _inputs_digest). Otherwise every file is made
again, or linked from the previous site when what it was made from is unchanged (site_record.py).
"""

import hashlib
import os
import shutil
import sys
from pathlib import Path

import mechanics
from mechanics.site import figure_cache, stamps
from mechanics.site.errors import SourceError, display_path
from mechanics.site.figure_cache import FigureStatus
from mechanics.site.folders import MARKER, MARKER_TEXT, check_output
from mechanics.site.fsutil import new_dir, scratch, swap_in, sweep
from mechanics.site.report import AtlasState, BuildReport
from mechanics.site.site_record import SiteRecord, file_stat


def build(project, regenerate=True, live_reload=False, pdf=None):
    """Build the site into a scratch directory, then swap it in as project.out; the BuildReport.
    pdf: see page.render_article."""
    check_output(project.out, project.root)
    sweep(project.out.parent, made_for=project.out.name)
    figures = figure_cache.discover(project)
    options = (regenerate, live_reload, pdf)
    record = SiteRecord(project.out)
    bibliography = record.bibliography()
    inputs = _inputs_digest(project, figures, options, bibliography)  # before reading them: an edit made meanwhile shows next time
    kept = record.report(inputs)
    if kept is not None:
        return BuildReport.from_json(kept)
    from mechanics.site import atlas_pages, metadata, page  # imported here: a build with nothing to do needs none of them

    article = page.render_article(project, figures, regenerate, live_reload, pdf)
    files = _site_files(project, article.embedded + atlas_pages.site_figures(article.atlases))
    env = page.environment(project.templates_dir)
    # A preview (live reload) removes the old site in the background: it is no longer served.
    with scratch(project.out, remove_in_background=live_reload) as work:
        # A static host serves the site as another user: folders 0755, files with the default
        # umask (copyfile, not the 0600 of the engine's temporary files).
        staging = new_dir(work / "site")
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        (staging / "index.html").write_text(article.html, encoding="utf-8")
        (staging / "static").mkdir(mode=0o755)
        (staging / "static" / page.HIGHLIGHT_CSS).write_text(page.highlight_css(), encoding="utf-8")
        if article.card:
            (staging / metadata.CARD).parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            (staging / metadata.CARD).write_bytes(metadata.card_bytes(article.card))
        atlas_pages.write_pages(project, article.atlases, lambda name, context: page.render(env, name, context), staging, record)
        for folder in sorted({(staging / rel).parent for rel in files}):
            folder.mkdir(parents=True, exist_ok=True)
        for rel, source in files.items():
            _copy(source, staging / rel, rel, record)
        swap_in(staging, project.out)
    report = BuildReport(article.states, [AtlasState(a.name, a.status, a.progress) for a in article.atlases])
    if regenerate or bibliography != article.bibliography:
        inputs = _inputs_digest(project, figures, options, article.bibliography)  # as they are now: a figure made changes them
    record.save(inputs, article.bibliography, report.to_json())
    return report


def _inputs_digest(project, figures, options, bibliography):
    """One digest of everything a build reads: the article's folder, the figure scripts and the
    figures' assets, the BibTeX file and the site builder's code (each file by its stat,
    stamps.of_file; compiled Python aside); every figure's status, which also follows the engine
    modules, model weights and input images it was made from (and an unfinished atlas's progress);
    the installed packages (by their folders' mtimes, which an install or upgrade changes); and the
    build's options."""
    trees = (project.article_dir, project.figures_src, project.figure_assets, Path(mechanics.__file__).parent)
    files = [stamps.of_tree(tree, skip=("__pycache__",)) for tree in trees]
    if bibliography and bibliography.is_file() and not bibliography.is_relative_to(project.article_dir):
        files.append((str(bibliography), stamps.of_file(bibliography)))
    packages = [(entry, os.stat(entry).st_mtime_ns) for entry in sys.path
                if entry.startswith((sys.prefix, sys.base_prefix)) and os.path.isdir(entry)]
    states = []
    for name, figure in figures.items():
        state = figure_cache.status(figure, project.root)
        progress = figure_cache.atlas_progress(figure) if figure.is_atlas and state != FigureStatus.FRESH else ""
        states.append((name, state, progress))
    inputs = (sys.version, str(project.root), project.base_url, options, files, packages, states)
    return hashlib.sha256(repr(inputs).encode()).hexdigest()


def _site_files(project, embedded):
    """{path in the site: source file} of everything copied as it is."""
    files = {}
    if project.static_dir.is_dir():
        for path in sorted(project.static_dir.rglob("*")):
            rel = path.relative_to(project.static_dir)
            if path.is_file() and not any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
                files[Path("static", rel)] = path
    for figure in embedded:
        if (figure.assets / "figure.json").is_file():
            for name in figure_cache.asset_files(figure.assets):
                files[Path("assets", "figures", figure.name, name)] = figure.assets / name
    for path in _site_root_files(project):
        files[path.relative_to(project.site_root_dir)] = path
    return files


def _copy(source, target, rel, record):
    """Copy `source` to `target`, or link the previous site's copy when neither changed since
    (what keeps a rebuild fast)."""
    source_stat = file_stat(source)
    if not record.link(rel, source_stat, target):
        shutil.copyfile(source, target)
        record.made(rel, source_stat, target)


def _site_root_files(project):
    """The files of article/root/, copied to the top of the site; none may shadow the build's own."""
    folder = project.site_root_dir
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in files:
        top = path.relative_to(folder).parts[0]
        if top in (MARKER, "index.html", "static", "assets"):
            raise SourceError(path, None, f"{top} at the site root is made by the build; "
                              f"{display_path(folder)} may hold only other files (CNAME, .nojekyll, robots.txt, ...)")
    return files


