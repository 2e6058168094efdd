print("syncevents")
