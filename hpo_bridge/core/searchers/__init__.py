"""Search algorithms behind one ask/tell interface."""
