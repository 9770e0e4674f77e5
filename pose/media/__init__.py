"""Files in and out: images checked and read, videos read and written, browser-playable copies."""
