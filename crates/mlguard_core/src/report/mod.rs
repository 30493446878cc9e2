//! report writers (in progress)
