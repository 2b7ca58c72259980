"""An index past one machine: built on Ray Data into Parquet shards and FAISS, opened like a folder."""
