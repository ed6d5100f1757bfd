"""Answer-quality evaluation (`newsrag eval`); see ../shared/eval-format.md."""
