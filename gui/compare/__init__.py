"""The Compare tab: two dropped images, their distance and verdict, marks and explanation."""
