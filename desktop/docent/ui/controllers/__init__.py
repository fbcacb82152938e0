"""Controllers own the jobs and expose typed signals; they hold no widgets.

`LibraryController` owns the Library's lane (see tasks.py): opening the library, syncing the
followed folders, the file watcher, removals and settings. `ChatController` asks questions on the
same lane and keeps the chats, and a document's text for the viewer is read from the catalog there
too. Models are looked up on a second, "files" lane that never touches the Library, so they never
wait behind indexing.
"""

from docent.ui.controllers.chat import ChatController
from docent.ui.controllers.common import (
    PACKAGED_LABELS,
    DocRow,
    IndexProgress,
    LibraryState,
    Planned,
    describe_error,
    model_label,
)
from docent.ui.controllers.files import FilesController, ModelRow
from docent.ui.controllers.library import LibraryController

__all__ = [
    "PACKAGED_LABELS", "ChatController", "DocRow", "FilesController", "IndexProgress", "LibraryController",
    "LibraryState", "ModelRow", "Planned", "describe_error", "model_label",
]
