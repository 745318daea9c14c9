"""nbgrader's configuration for the optnotes assignments: course ``optnotes``.

Every path is relative to the folder of this file, wherever nbgrader is started from:
``source/`` (the teacher's notebooks), ``release/``, ``submitted/``, ``autograded/``,
``feedback/`` and the gradebook ``gradebook.db``. Run nbgrader in a working copy of this
folder, never in the repository (see README.md); in the repository this file stops
nbgrader before it writes anything.
"""

from pathlib import Path

c = get_config()  # noqa: F821 (nbgrader's config loader provides get_config)

COURSE = Path(__file__).resolve().parent
if (COURSE.parent / "pyproject.toml").is_file() and (COURSE.parent / "optnotes").is_dir():
    raise SystemExit(
        f"{COURSE} is the optnotes repository's copy of the course: nbgrader would write "
        "release/, submitted/, autograded/, feedback/ and gradebook.db into the repository. "
        f"Work in a copy instead, e.g. `cp -r {COURSE} ~/optnotes-course`."
    )

c.CourseDirectory.course_id = "optnotes"
c.CourseDirectory.root = str(COURSE)
c.CourseDirectory.db_url = f"sqlite:///{COURSE / 'gradebook.db'}"

# The exchange through which `nbgrader release_assignment`, `fetch_assignment`, `submit`
# and `collect` pass notebooks. Inside the working copy it serves a trial on one machine;
# on a shared server (JupyterHub) point it at a directory every user can reach, the same
# for teacher and students, e.g. /srv/nbgrader/exchange.
c.Exchange.root = str(COURSE / "exchange")

# The kernel the notebooks name (python3) must be a Python with torch and optnotes. A test
# cell runs in under a second; the limit only stops a student's endless loop.
c.Execute.timeout = 60
