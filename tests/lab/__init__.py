"""Tests of the lab: the demo shop, its payment platforms and the Connectif stand-in."""
