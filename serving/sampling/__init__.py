"""双随机 spot-check draws, without databases: the inspection items catalogue, the counts per
class and the hash ranking (`selection`), and the inspectors' assignment (`staffing`). The use
cases in `serving.use_cases.draws` feed them from the results store and the store."""
