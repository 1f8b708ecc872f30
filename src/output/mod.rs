//! Renderers. Nothing upstream knows how output looks.
